package data

import (
	"fmt"
	"io"
	"slices"
)

// CIFARLabels says which label a CIFAR binary record carries and so how long a record is.
type CIFARLabels int

const (
	// CIFAR10 records are 1 label byte (0–9) and 3072 pixel bytes.
	CIFAR10 CIFARLabels = iota
	// CIFAR100Fine records are a coarse byte (0–19), a fine byte (0–99) and 3072 pixel bytes; the fine
	// label is kept.
	CIFAR100Fine
	// CIFAR100Coarse reads CIFAR-100 records and keeps the coarse (superclass) label.
	CIFAR100Coarse
)

// CIFAR image geometry: 32×32 RGB, stored planar (all red, then green, then blue), row-major.
const (
	cifarSide   = 32
	cifarPixels = cifarSide * cifarSide * 3
)

// Classes is the number of classes the labels range over.
func (v CIFARLabels) Classes() int {
	switch v {
	case CIFAR100Fine:
		return 100
	case CIFAR100Coarse:
		return 20
	}
	return 10
}

// labelBytes is the number of label bytes that precede each record's pixels.
func (v CIFARLabels) labelBytes() int {
	if v == CIFAR10 {
		return 1
	}
	return 2
}

// ReadCIFAR reads every record of a CIFAR-10 or CIFAR-100 binary file from r into Images (32×32×3,
// converted from CIFAR's planar layout to HWC); name is the file name used in errors.
func ReadCIFAR(r io.Reader, name string, v CIFARLabels) (*Images, error) {
	m := &Images{H: cifarSide, W: cifarSide, C: 3}
	if err := appendCIFAR(m, r, name, v); err != nil {
		return nil, err
	}
	return m, nil
}

// appendCIFAR reads CIFAR records from r and appends them to m.
func appendCIFAR(m *Images, r io.Reader, name string, v CIFARLabels) error {
	lb := v.labelBytes()
	rec := make([]byte, lb+cifarPixels)
	classes := v.Classes()
	for i := 0; ; i++ {
		n, err := io.ReadFull(r, rec)
		if err == io.EOF {
			if i == 0 {
				return fmt.Errorf("%s: %w", name, badf("empty file: no records"))
			}
			return nil
		}
		if err == io.ErrUnexpectedEOF {
			return fmt.Errorf("%s: record %d: %w", name, i, badf("truncated: %d of %d bytes", n, len(rec)))
		}
		if err != nil {
			return fmt.Errorf("%s: record %d: %w", name, i, err)
		}
		label := int(rec[0])
		if v == CIFAR100Fine {
			label = int(rec[1])
		}
		if v != CIFAR10 && rec[0] >= 20 {
			return fmt.Errorf("%s: record %d: %w", name, i, badf("coarse label %d out of range [0,20)", rec[0]))
		}
		if label >= classes {
			return fmt.Errorf("%s: record %d: %w", name, i, badf("label %d out of range [0,%d)", label, classes))
		}
		m.Labels = append(m.Labels, int32(label))
		planes := rec[lb:]
		off := len(m.Pix)
		m.Pix = slices.Grow(m.Pix, cifarPixels)[:off+cifarPixels]
		dst := m.Pix[off:]
		const plane = cifarSide * cifarSide
		for p := 0; p < plane; p++ {
			dst[3*p], dst[3*p+1], dst[3*p+2] = planes[p], planes[plane+p], planes[2*plane+p]
		}
	}
}
