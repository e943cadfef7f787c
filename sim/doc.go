// Package sim is a cycle-level simulator of weight-stationary systolic arrays.
package sim
