package data

import (
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
)

// LoaderOptions configure a Loader.
type LoaderOptions struct {
	// BatchSize is the number of images per batch; 0 means 64.
	BatchSize int
	// Shuffle draws a new order of the records every epoch.
	Shuffle bool
	// Augment applies the data set's training augmentation (Dataset.Augment) to every image.
	Augment bool
	// DropLast skips an epoch's last, incomplete batch, so every batch has the same shape (one compiled graph).
	DropLast bool
	// Repeat starts the next epoch instead of returning io.EOF at the end of one (for step-counted training).
	Repeat bool
	// Seed drives shuffling and augmentation; equal seeds give equal batches.
	Seed uint64
	// Workers is the number of goroutines that fill a batch (decoding images on their first read); 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
}

// TrainOptions are the loader options for training: shuffled, augmented, equal-sized batches of the given
// size, repeating forever.
func TrainOptions(batch int, seed uint64) LoaderOptions {
	return LoaderOptions{BatchSize: batch, Shuffle: true, Augment: true, DropLast: true, Repeat: true, Seed: seed}
}

// EvalOptions are the loader options for evaluation: every record once, in order, unaugmented.
func EvalOptions(batch int) LoaderOptions {
	return LoaderOptions{BatchSize: batch}
}

// Loader turns a split into batches: images as float32 [N, H, W, C] normalized with the data set's Mean
// and Std, labels as int32 [N, 1] (the shape GoMLX's sparse cross-entropy losses take). It is a GoMLX
// train.Dataset (Name, Reset, Yield), so GoMLX's training loop can read it directly. A Loader is not safe
// for concurrent use; it is deterministic for a seed: the k-th batch of the e-th epoch depends only on the
// split, the options and e, k.
type Loader struct {
	split *Split
	opt   LoaderOptions
	aug   Augment
	lut   [][256]float32
	epoch uint64
	pos   int
	order []int
}

// Loader returns a loader over the split, positioned at the start of epoch 0.
func (s *Split) Loader(opt LoaderOptions) *Loader {
	if opt.BatchSize <= 0 {
		opt.BatchSize = 64
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	ds := s.ds
	l := &Loader{split: s, opt: opt, lut: make([][256]float32, ds.C)}
	if opt.Augment {
		l.aug = ds.Augment
	}
	// Normalization is a table look-up per channel: (v/255 − mean)/std for each of the 256 byte values.
	for c := range ds.C {
		for v := range 256 {
			l.lut[c][v] = (float32(v)/255 - ds.Mean[c]) / ds.Std[c]
		}
	}
	l.startEpoch()
	return l
}

// startEpoch draws the epoch's record order.
func (l *Loader) startEpoch() {
	l.pos = 0
	l.order = seq(l.split.Len())
	if l.opt.Shuffle {
		rng := rand.New(rand.NewPCG(l.opt.Seed, l.epoch))
		rng.Shuffle(len(l.order), func(i, j int) { l.order[i], l.order[j] = l.order[j], l.order[i] })
	}
}

// Name identifies the loader as "<spec>/<split>".
func (l *Loader) Name() string { return l.split.ds.Spec.String() + "/" + l.split.Name }

// Epoch is the number of the epoch being read (0 first).
func (l *Loader) Epoch() uint64 { return l.epoch }

// Reset moves to the start of the next epoch (a new order and new augmentations when enabled).
func (l *Loader) Reset() {
	l.epoch++
	l.startEpoch()
}

// BatchLen returns the size of the next batch, 0 at the end of an epoch. With Repeat it starts the next
// epoch when the current one is used up, so it returns 0 only when the split is too small for one batch.
func (l *Loader) BatchLen() int {
	left := len(l.order) - l.pos
	if l.opt.Repeat && (left == 0 || (l.opt.DropLast && left < l.opt.BatchSize)) && len(l.order) > 0 {
		if l.opt.DropLast && len(l.order) < l.opt.BatchSize {
			return 0
		}
		l.epoch++
		l.startEpoch()
		left = len(l.order)
	}
	n := min(left, l.opt.BatchSize)
	if l.opt.DropLast && n < l.opt.BatchSize {
		return 0
	}
	return n
}

// NextInto fills images (at least n·H·W·C values) and labels (at least n) with the next batch of n
// records, n = BatchLen(), and advances; it returns io.EOF at the end of an epoch. The records are filled
// by Workers goroutines; an error names the first bad record's file.
func (l *Loader) NextInto(images []float32, labels []int32) (int, error) {
	n := l.BatchLen()
	if n == 0 {
		return 0, io.EOF
	}
	ds := l.split.ds
	rs := ds.H * ds.W * ds.C
	if len(images) < n*rs || len(labels) < n {
		return 0, fmt.Errorf("data loader %s: buffers hold %d images and %d labels, batch needs %d", l.Name(), len(images)/max(rs, 1), len(labels), n)
	}
	first := l.pos
	l.pos += n
	errs := make([]error, n)
	workers := min(l.opt.Workers, n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < n; k += workers {
				errs[k] = l.fill(images[k*rs:(k+1)*rs], &labels[k], first+k)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// fill writes the epoch's pos-th record, normalized and augmented, to dst.
func (l *Loader) fill(dst []float32, label *int32, pos int) error {
	i := l.order[pos]
	src, err := l.split.Image(i)
	if err != nil {
		return err
	}
	*label = l.split.Label(i)
	ds := l.split.ds
	if l.aug.Pad == 0 && !l.aug.Flip {
		normalize(dst, src, l.lut)
		return nil
	}
	// Each record's draw depends only on (seed, epoch, position), never on which worker fills it.
	r := rand.New(rand.NewPCG(l.opt.Seed^0x6175676d, l.epoch<<32^uint64(pos)))
	p := l.aug.Pad
	dy, dx := r.IntN(2*p+1), r.IntN(2*p+1)
	flip := l.aug.Flip && r.IntN(2) == 1
	augmentInto(dst, src, ds.H, ds.W, ds.C, p, dy, dx, flip, l.lut)
	return nil
}

// normalize maps every byte of src through its channel's table.
func normalize(dst []float32, src []uint8, lut [][256]float32) {
	c := len(lut)
	if c == 1 {
		t := &lut[0]
		for k, v := range src {
			dst[k] = t[v]
		}
		return
	}
	for k, v := range src {
		dst[k] = lut[k%c][v]
	}
}

// augmentInto writes the h×w crop at offset (dy, dx) of src (h×w×c) zero-padded by pad pixels on every
// side, mirrored left-right when flip is set, normalized through lut. Output pixel (y, x) is source pixel
// (y+dy−pad, x'+dx−pad) with x' = w−1−x when flipped (flip after crop), or 0 outside the image.
func augmentInto(dst []float32, src []uint8, h, w, c, pad, dy, dx int, flip bool, lut [][256]float32) {
	off := dx - pad
	// Output columns [lo, hi) read the image; the others are padding.
	lo, hi := max(0, -off), min(w, w-off)
	if flip {
		lo, hi = max(0, off), min(w, w+off)
	}
	zero := make([]float32, c)
	for k := range c {
		zero[k] = lut[k][0]
	}
	for y := range h {
		row := dst[y*w*c : (y+1)*w*c]
		sy := y + dy - pad
		if sy < 0 || sy >= h || lo >= hi {
			for x := range w {
				copy(row[x*c:], zero)
			}
			continue
		}
		for x := 0; x < lo; x++ {
			copy(row[x*c:], zero)
		}
		for x := hi; x < w; x++ {
			copy(row[x*c:], zero)
		}
		srow := src[sy*w*c : (sy+1)*w*c]
		if c == 1 {
			t := &lut[0]
			if flip {
				for x := lo; x < hi; x++ {
					row[x] = t[srow[w-1-x+off]]
				}
			} else {
				in := srow[lo+off : hi+off]
				out := row[lo:hi]
				for x, v := range in {
					out[x] = t[v]
				}
			}
			continue
		}
		for x := lo; x < hi; x++ {
			sx := x + off
			if flip {
				sx = w - 1 - x + off
			}
			in := srow[sx*c : sx*c+c]
			out := row[x*c : x*c+c]
			for k, v := range in {
				out[k] = lut[k][v]
			}
		}
	}
}

// Batch is one batch as GoMLX tensors.
type Batch struct {
	// Images are float32 [N, H, W, C], normalized.
	Images *tensors.Tensor
	// Labels are int32 [N, 1].
	Labels *tensors.Tensor
}

// Next returns the next batch as new tensors owned by the caller, or io.EOF at the end of an epoch.
func (l *Loader) Next() (*Batch, error) {
	n := l.BatchLen()
	if n == 0 {
		return nil, io.EOF
	}
	ds := l.split.ds
	images := tensors.FromShape(shapes.Make(dtypes.Float32, n, ds.H, ds.W, ds.C))
	labels := tensors.FromShape(shapes.Make(dtypes.Int32, n, 1))
	var err error
	tensors.MustMutableFlatData(images, func(img []float32) {
		tensors.MustMutableFlatData(labels, func(lab []int32) {
			_, err = l.NextInto(img, lab)
		})
	})
	if err != nil {
		images.FinalizeAll()
		labels.FinalizeAll()
		return nil, err
	}
	return &Batch{Images: images, Labels: labels}, nil
}

// Yield implements GoMLX's train.Dataset: one batch, inputs [images] and labels [labels], spec nil.
func (l *Loader) Yield() (spec any, inputs, labels []*tensors.Tensor, err error) {
	b, err := l.Next()
	if err != nil {
		return nil, nil, nil, err
	}
	return nil, []*tensors.Tensor{b.Images}, []*tensors.Tensor{b.Labels}, nil
}
