package search

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/uboost/uboost/accel"
	"github.com/uboost/uboost/cost"
	"github.com/uboost/uboost/data"
)

// writeIDX writes one unsigned-byte IDX array (magic 0x0000_08_NN, big-endian dims, data).
func writeIDX(t *testing.T, path string, dims []int, vals []byte) {
	t.Helper()
	head := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	if err := os.WriteFile(path, append(head, vals...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fixture writes an MNIST-style folder of n training and n/4 test side×side images whose class
// (0…9) is drawn as a bright row at height class·side/10, so a small network can learn it, and opens it.
func fixture(t *testing.T, n, side int) *data.Dataset {
	t.Helper()
	dir := t.TempDir()
	write := func(prefix string, count int) {
		pix := make([]byte, count*side*side)
		labels := make([]byte, count)
		for i := range count {
			c := i % 10
			labels[i] = byte(c)
			row := c * side / 10
			for x := range side {
				pix[i*side*side+row*side+x] = 255
				pix[i*side*side+((row+i)%side)*side+(i*7+x)%side] ^= 64
			}
		}
		writeIDX(t, filepath.Join(dir, prefix+"-images-idx3-ubyte"), []int{count, side, side}, pix)
		writeIDX(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte"), []int{count}, labels)
	}
	write("train", n)
	write("t10k", max(n/4, 10))
	ds, err := data.Open("mnist:"+dir, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// tinyConfig is a one-cell supernet on 8×8 images that trains in seconds.
func tinyConfig(t *testing.T) *Config {
	t.Helper()
	c, err := Preset("demo")
	if err != nil {
		t.Fatal(err)
	}
	c.Cells, c.Pool, c.StemChannels, c.StemPool, c.Width = 1, []bool{true}, 4, false, 4
	c.Channels = []int{4, 8}
	c.EpochsMicro, c.EpochsChannel, c.BatchSize, c.StepsPerEpoch = 2, 2, 8, 5
	c.Accel = accel.New(8, 8).WithBatch(1)
	c.Ceil = cost.TightCeil
	c.Augment = false
	return c
}
