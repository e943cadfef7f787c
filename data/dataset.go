package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
)

// Options configure Open. The zero value reads the data set with no validation split, seed 0, the kind's
// default image size and one decoding worker per CPU; DefaultOptions holds the values the CLI starts from.
type Options struct {
	// Seed drives the train/validation split (and is the default seed of loaders' shuffling and augmentation).
	Seed uint64
	// ValFraction is the fraction of each class of the training records held out, at random for Seed, as
	// the validation split; 0 keeps none, values must lie in [0, 1).
	ValFraction float64
	// ImageSize is the side images of folder data sets are center-cropped and resized to; 0 means 128 for
	// imagenet100 (the paper's resolution) and 32 for folder. The other kinds have a fixed size.
	ImageSize int
	// Workers is the number of goroutines that decode images; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Preload decodes every image of a folder data set during Open (in parallel), so bad images are
	// reported at once; otherwise each is decoded on its first read.
	Preload bool
	// CacheDir, when set, keeps the decoded records of folder data sets in files there: the first Open
	// decodes every image (in parallel) and writes them, later Opens of the same files at the same image
	// size read them back instead of decoding. A cache file is named by a hash of the image size and of
	// every image's path, size and modification time, so changed images are decoded anew.
	CacheDir string
}

// maxImageSize bounds Options.ImageSize; records are held in memory, so larger sides are not practical.
const maxImageSize = 2048

// DefaultOptions returns the options the CLI starts from: seed 0 and 10% of the training set held out for
// validation.
func DefaultOptions() Options {
	return Options{ValFraction: 0.1}
}

// Augment is a training augmentation: a random crop of the image padded by Pad pixels of value 0 on each
// side (the crop is as large as the image), then a horizontal flip with probability 1/2 when Flip is set.
type Augment struct {
	Pad  int
	Flip bool
}

// Dataset is an opened data set: its geometry, classes, normalization and splits.
type Dataset struct {
	// Spec is the --data spec the data set was opened from.
	Spec Spec
	// H, W, C are the image height, width and channels (images are H×W×C, NHWC in batches).
	H, W, C int
	// Classes are the class names; a label is an index into it.
	Classes []string
	// Mean and Std (one per channel, on pixel values scaled to [0,1]) normalize images: x' = (x/255 − Mean)/Std.
	Mean, Std []float32
	// Augment is the training augmentation suited to this data set (no flip for digits, for instance).
	Augment Augment
	// Train, Val and Test are the splits; Val is empty when Options.ValFraction is 0.
	Train, Val, Test *Split
}

// Split is an ordered set of records of a data set (train, val or test).
type Split struct {
	// Name is "train", "val" or "test".
	Name string
	ds   *Dataset
	src  source
	idx  []int
}

// Len is the number of records in the split.
func (s *Split) Len() int { return len(s.idx) }

// Dataset is the data set the split belongs to.
func (s *Split) Dataset() *Dataset { return s.ds }

// Label is the class of the split's i-th record.
func (s *Split) Label(i int) int32 { return s.src.Label(s.idx[i]) }

// Image returns the split's i-th image as H·W·C bytes (HWC), decoding it first if needed. The slice is
// shared and must not be modified.
func (s *Split) Image(i int) ([]uint8, error) { return s.src.Record(s.idx[i]) }

// Take returns a split of the first n records (all of them when n exceeds Len), for fast tests and runs.
func (s *Split) Take(n int) *Split {
	n = max(0, min(n, len(s.idx)))
	return &Split{Name: s.Name, ds: s.ds, src: s.src, idx: s.idx[:n:n]}
}

// ClassCounts returns how many of the split's records each class has.
func (s *Split) ClassCounts() []int {
	counts := make([]int, len(s.ds.Classes))
	for i := range s.idx {
		counts[s.Label(i)]++
	}
	return counts
}

// Preload decodes every record of the split with the given number of goroutines (0: GOMAXPROCS), so that
// training never waits for decoding and every undecodable image is reported now. It returns the error of
// the first bad record in split order.
func (s *Split) Preload(workers int) error {
	return preload(s.src, s.idx, workers)
}

// preload reads the records idx of src with the given number of goroutines (0: GOMAXPROCS) and returns
// the error of the first bad one in idx order.
func preload(src source, idx []int, workers int) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < len(idx); k += workers {
				_, errs[k] = src.Record(idx[k])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Stats returns the per-channel mean and standard deviation of the split's pixels scaled to [0,1], the
// figures Mean and Std hold for the data sets whose published values are used.
func (s *Split) Stats() (mean, std []float64, err error) {
	c := s.ds.C
	sum := make([]float64, c)
	sq := make([]float64, c)
	for i := range s.idx {
		rec, err := s.Image(i)
		if err != nil {
			return nil, nil, err
		}
		for p, v := range rec {
			f := float64(v) / 255
			sum[p%c] += f
			sq[p%c] += f * f
		}
	}
	n := float64(len(s.idx) * s.ds.H * s.ds.W)
	mean, std = make([]float64, c), make([]float64, c)
	for k := range c {
		mean[k] = sum[k] / n
		std[k] = math.Sqrt(max(0, sq[k]/n-mean[k]*mean[k]))
	}
	return mean, std, nil
}

// Published normalization statistics (per channel, pixels in [0,1]) of each data set family. Folder data
// sets use ImageNet's, the usual choice for natural photographs.
var (
	fashionMean, fashionStd   = []float32{0.2860}, []float32{0.3530}
	mnistMean, mnistStd       = []float32{0.1307}, []float32{0.3081}
	cifar10Mean, cifar10Std   = []float32{0.4914, 0.4822, 0.4465}, []float32{0.2470, 0.2435, 0.2616}
	cifar100Mean, cifar100Std = []float32{0.5071, 0.4865, 0.4409}, []float32{0.2673, 0.2564, 0.2762}
	imageNetMean, imageNetStd = []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
)

// fashionClasses are Fashion-MNIST's class names, in label order.
var fashionClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// cifar10Classes are CIFAR-10's class names, used when the folder lacks batches.meta.txt.
var cifar10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// Open opens the data set a --data spec names (see ParseSpec) with its train, validation and test splits.
func Open(spec string, opt Options) (*Dataset, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	return OpenSpec(sp, opt)
}

// OpenSpec opens the data set of a parsed spec.
func OpenSpec(sp Spec, opt Options) (*Dataset, error) {
	if opt.ValFraction < 0 || opt.ValFraction >= 1 || math.IsNaN(opt.ValFraction) {
		return nil, fmt.Errorf("data %s: validation fraction %v: want a value in [0, 1)", sp, opt.ValFraction)
	}
	if opt.ImageSize < 0 || opt.ImageSize > maxImageSize {
		return nil, fmt.Errorf("data %s: image size %d: want 1 to %d", sp, opt.ImageSize, maxImageSize)
	}
	ds := &Dataset{Spec: sp}
	var train, test source
	switch sp.Kind {
	case Builtin, FashionMNIST, MNIST:
		tr, te, err := openMNISTLike(sp)
		if err != nil {
			return nil, err
		}
		train, test = memSource{tr}, memSource{te}
		ds.H, ds.W, ds.C = tr.H, tr.W, tr.C
		if sp.Kind == MNIST {
			ds.Classes, ds.Mean, ds.Std = digitNames(), mnistMean, mnistStd
			ds.Augment = Augment{Pad: 2}
		} else {
			ds.Classes, ds.Mean, ds.Std = fashionClasses, fashionMean, fashionStd
			ds.Augment = Augment{Pad: 2, Flip: true}
		}
	case CIFAR10Kind, CIFAR100Kind:
		tr, te, classes, err := openCIFAR(sp)
		if err != nil {
			return nil, err
		}
		train, test = memSource{tr}, memSource{te}
		ds.H, ds.W, ds.C, ds.Classes = cifarSide, cifarSide, 3, classes
		ds.Mean, ds.Std = cifar10Mean, cifar10Std
		if sp.Kind == CIFAR100Kind {
			ds.Mean, ds.Std = cifar100Mean, cifar100Std
		}
		ds.Augment = Augment{Pad: 4, Flip: true}
	case ImageNet100, Folder:
		size := opt.ImageSize
		if size == 0 {
			size = 32
			if sp.Kind == ImageNet100 {
				size = 128
			}
		}
		root := sp.Dir
		if !isDir(root) {
			return nil, fmt.Errorf("data %s: %s: missing directory", sp, root)
		}
		var classes []string
		var valCSV string
		if sp.Kind == ImageNet100 {
			root, valCSV = imageNetRoot(sp.Dir)
			var err error
			if classes, err = imageNet100Classes(filepath.Join(root, "train"), sp.Option); err != nil {
				return nil, fmt.Errorf("data %s: %w", sp, err)
			}
		}
		fs, err := openFolder(root, classes, size, valCSV)
		if err != nil {
			return nil, err
		}
		if opt.CacheDir != "" {
			for _, src := range []*folderSource{fs.train, fs.test} {
				if err := src.useCache(opt.CacheDir, opt.Workers); err != nil {
					return nil, err
				}
			}
		}
		train, test = fs.train, fs.test
		ds.H, ds.W, ds.C, ds.Classes = size, size, 3, fs.classes
		ds.Mean, ds.Std = imageNetMean, imageNetStd
		ds.Augment = Augment{Pad: size / 8, Flip: true}
	default:
		return nil, fmt.Errorf("data %s: unknown dataset kind %q", sp, sp.Kind)
	}
	trIdx, valIdx := splitValidation(train, len(ds.Classes), opt.ValFraction, opt.Seed)
	ds.Train = &Split{Name: "train", ds: ds, src: train, idx: trIdx}
	ds.Val = &Split{Name: "val", ds: ds, src: train, idx: valIdx}
	ds.Test = &Split{Name: "test", ds: ds, src: test, idx: seq(test.Len())}
	if opt.Preload {
		for _, s := range []*Split{ds.Train, ds.Val, ds.Test} {
			if err := s.Preload(opt.Workers); err != nil {
				return nil, err
			}
		}
	}
	return ds, nil
}

// seq returns 0, 1, …, n−1.
func seq(n int) []int {
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// splitValidation holds out round(frac·n_c) records of each class c, drawn at random for seed, as the
// validation split; both index lists stay in file order (loaders shuffle).
func splitValidation(src source, classes int, frac float64, seed uint64) (train, val []int) {
	if frac == 0 {
		return seq(src.Len()), nil
	}
	byClass := make([][]int, classes)
	for i := range src.Len() {
		l := src.Label(i)
		byClass[l] = append(byClass[l], i)
	}
	rng := rand.New(rand.NewPCG(seed, 0x76616c)) // stream "val", apart from loaders' streams
	held := make([]bool, src.Len())
	for _, members := range byClass {
		k := int(math.Round(frac * float64(len(members))))
		rng.Shuffle(len(members), func(i, j int) { members[i], members[j] = members[j], members[i] })
		for _, i := range members[:k] {
			held[i] = true
		}
	}
	for i, h := range held {
		if h {
			val = append(val, i)
		} else {
			train = append(train, i)
		}
	}
	return train, val
}

// digitNames returns "0" … "9", MNIST's class names.
func digitNames() []string {
	names := make([]string, 10)
	for i := range names {
		names[i] = strconv.Itoa(i)
	}
	return names
}

// mnistFiles are the IDX file names of MNIST and Fashion-MNIST (each may also carry a .gz suffix).
var mnistFiles = [4]string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}

// openMNISTLike reads the train and test sets of the built-in subset, Fashion-MNIST or MNIST.
func openMNISTLike(sp Spec) (train, test *Images, err error) {
	var arrays [4]*IDX
	var names [4]string
	if sp.Kind == Builtin {
		for i, f := range mnistFiles {
			names[i] = "builtin/" + f + ".gz"
			if arrays[i], err = builtinIDX(names[i]); err != nil {
				return nil, nil, err
			}
		}
	} else {
		dir, err := findDir(sp.Dir, mnistFiles[0], "", "raw", "data", "FashionMNIST/raw", "MNIST/raw")
		if err != nil && sp.Kind == FashionMNIST && sp.Dir == DefaultFashionMNISTDir {
			return nil, nil, fmt.Errorf("data %s: %w (install Debian's dataset-fashion-mnist, or use builtin)", sp, err)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("data %s: %w", sp, err)
		}
		for i, f := range mnistFiles {
			names[i] = filepath.Join(dir, f)
			if _, err := os.Stat(names[i] + ".gz"); err == nil {
				names[i] += ".gz"
			}
			if arrays[i], err = ReadIDXFile(names[i]); err != nil {
				return nil, nil, err
			}
		}
	}
	if train, err = idxImages(arrays[0], arrays[1], names[0], names[1], 10); err != nil {
		return nil, nil, err
	}
	if test, err = idxImages(arrays[2], arrays[3], names[2], names[3], 10); err != nil {
		return nil, nil, err
	}
	if test.H != train.H || test.W != train.W {
		return nil, nil, fmt.Errorf("%s: %w", names[2], badf("images are %dx%d, training images %dx%d", test.H, test.W, train.H, train.W))
	}
	return train, test, nil
}

// findDir returns the first of dir/sub (for each sub) that holds file or file.gz; the data sets are
// distributed with their files at different depths (GoMNIST's data/, torchvision's raw/).
func findDir(dir, file string, subs ...string) (string, error) {
	if !isDir(dir) {
		return "", fmt.Errorf("%s: missing directory", dir)
	}
	for _, s := range subs {
		d := filepath.Join(dir, s)
		for _, f := range []string{file, file + ".gz"} {
			if _, err := os.Stat(filepath.Join(d, f)); err == nil {
				return d, nil
			}
		}
	}
	return "", fmt.Errorf("%s: no %s[.gz] in it or in its %s", dir, file, strings.Join(subs[1:], ", "))
}

// openCIFAR reads the train and test sets of CIFAR-10 or CIFAR-100 from the extracted archive folder or
// the batches folder itself, with the class names from the archive's meta files when present.
func openCIFAR(sp Spec) (train, test *Images, classes []string, err error) {
	v, sub, first := CIFAR10, "cifar-10-batches-bin", "data_batch_1.bin"
	trainFiles := []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"}
	testFile, meta := "test_batch.bin", "batches.meta.txt"
	if sp.Kind == CIFAR100Kind {
		v, sub, first = CIFAR100Fine, "cifar-100-binary", "train.bin"
		trainFiles, testFile, meta = []string{"train.bin"}, "test.bin", "fine_label_names.txt"
		if sp.Option == LabelsCoarse {
			v, meta = CIFAR100Coarse, "coarse_label_names.txt"
		}
	}
	dir, err := findDir(sp.Dir, first, "", sub)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("data %s: %w", sp, err)
	}
	train = &Images{H: cifarSide, W: cifarSide, C: 3}
	for _, f := range trainFiles {
		if err := readCIFARFile(train, filepath.Join(dir, f), v); err != nil {
			return nil, nil, nil, err
		}
	}
	test = &Images{H: cifarSide, W: cifarSide, C: 3}
	if err := readCIFARFile(test, filepath.Join(dir, testFile), v); err != nil {
		return nil, nil, nil, err
	}
	classes = readNames(filepath.Join(dir, meta), v.Classes())
	if classes == nil && v == CIFAR10 {
		classes = cifar10Classes
	}
	if classes == nil {
		classes = make([]string, v.Classes())
		for i := range classes {
			classes[i] = strconv.Itoa(i)
		}
	}
	return train, test, classes, nil
}

// readCIFARFile appends the records of one CIFAR binary file (gzipped or raw) to m.
func readCIFARFile(m *Images, path string, v CIFARLabels) error {
	r, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return err
	}
	defer closeFn()
	return appendCIFAR(m, r, path, v)
}

// readNames reads a class-name file (one name a line, as CIFAR's meta files are); nil when it is missing
// or does not hold exactly n names.
func readNames(path string, n int) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	names := strings.Fields(string(b))
	if len(names) != n {
		return nil
	}
	return names
}
