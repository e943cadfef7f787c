package data

import (
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"image"
	_ "image/jpeg" // ImageNet and most image folders are JPEG
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/image/draw"
)

// source yields the fixed-size records of one split's underlying file set.
type source interface {
	// Len is the number of records.
	Len() int
	// Label is record i's class.
	Label(i int) int32
	// Record returns record i's pixels (HWC, read-only), decoding it first if needed.
	Record(i int) ([]uint8, error)
}

// memSource serves records already decoded in memory (IDX and CIFAR files).
type memSource struct{ m *Images }

func (s memSource) Len() int                      { return s.m.Len() }
func (s memSource) Label(i int) int32             { return s.m.Labels[i] }
func (s memSource) Record(i int) ([]uint8, error) { return s.m.Record(i), nil }

// imageExts are the file name extensions an image folder's images may have (compared lower-case).
var imageExts = map[string]bool{".jpg": true, ".jpeg": true, ".png": true}

// folderSource serves the images of an image folder, each decoded, center-cropped to a square and resized
// to Size×Size RGB on first read and kept in memory as a fixed-size record, so later epochs (and later
// reads of the same split) never decode again.
type folderSource struct {
	files  []string
	labels []int32
	size   int
	cache  []uint8
	once   []sync.Once
	errs   []error
}

// newFolderSource prepares a folder source for the given files; nothing is decoded yet.
func newFolderSource(files []string, labels []int32, size int) *folderSource {
	return &folderSource{
		files: files, labels: labels, size: size,
		cache: make([]uint8, len(files)*size*size*3),
		once:  make([]sync.Once, len(files)),
		errs:  make([]error, len(files)),
	}
}

func (s *folderSource) Len() int          { return len(s.files) }
func (s *folderSource) Label(i int) int32 { return s.labels[i] }

func (s *folderSource) Record(i int) ([]uint8, error) {
	n := s.size * s.size * 3
	rec := s.cache[i*n : (i+1)*n]
	s.once[i].Do(func() { s.errs[i] = decodeInto(s.files[i], s.size, rec) })
	return rec, s.errs[i]
}

// cacheMagic starts every record cache file; the rest is the records, in source order.
const cacheMagic = "uboost-records/v1\n"

// useCache fills the source from its cache file in dir when one exists for exactly these files at this
// size; otherwise it decodes every record with the given number of goroutines and writes the file
// (to a temporary name first, so a crash never leaves a partial cache under the real name).
func (s *folderSource) useCache(dir string, workers int) error {
	h := sha256.New()
	fmt.Fprintf(h, "%s%d %d\n", cacheMagic, s.size, len(s.files))
	for i, f := range s.files {
		st, err := os.Stat(f)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %d %d %d\n", f, st.Size(), st.ModTime().UnixNano(), s.labels[i])
	}
	path := filepath.Join(dir, fmt.Sprintf("%x.rec", h.Sum(nil)[:12]))
	if s.readCache(path) {
		for i := range s.once {
			s.once[i].Do(func() {}) // every record is already in s.cache
		}
		return nil
	}
	if err := preload(s, seq(len(s.files)), workers); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("record cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "*.tmp")
	if err != nil {
		return fmt.Errorf("record cache: %w", err)
	}
	_, err = tmp.WriteString(cacheMagic)
	if err == nil {
		_, err = tmp.Write(s.cache)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("record cache %s: %w", path, err)
	}
	return nil
}

// readCache reads the records from the cache file at path straight into s.cache, reporting whether it
// held a complete, well-formed cache (anything else is decoded and written anew).
func (s *folderSource) readCache(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() != int64(len(cacheMagic)+len(s.cache)) {
		return false
	}
	magic := make([]byte, len(cacheMagic))
	if _, err := io.ReadFull(f, magic); err != nil || string(magic) != cacheMagic {
		return false
	}
	_, err = io.ReadFull(f, s.cache)
	return err == nil
}

// MaxImagePixels bounds the pixels of one image of an image folder: 2^24 (4096×4096, 64 MiB decoded),
// above the largest ImageNet photographs (about 12 megapixels), so that a few loader workers decoding
// at once stay well under a gigabyte.
const MaxImagePixels = 1 << 24

// decodeInto decodes the JPEG or PNG image at path, crops its central square (the largest one, so the
// shorter side is kept whole, as a resize of the shorter side followed by a center crop would), scales
// it bilinearly to size×size and writes its RGB pixels (HWC) to dst.
func decodeInto(path string, size int, dst []uint8) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// The header first: a small file may declare a huge image (a 3 MB PNG of 20000×20000 decodes
	// to 1.6 GB), and the loader decodes several at once.
	cfg, _, err := image.DecodeConfig(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, badf("undecodable image: %v", err))
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return fmt.Errorf("%s: %w", path, badf("%dx%d image: more than the %d pixels supported", cfg.Width, cfg.Height, MaxImagePixels))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, badf("undecodable image: %v", err))
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	if side == 0 {
		return fmt.Errorf("%s: %w", path, badf("empty image %dx%d", b.Dx(), b.Dy()))
	}
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	out := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.BiLinear.Scale(out, out.Bounds(), img, image.Rect(x0, y0, x0+side, y0+side), draw.Src, nil)
	for p := 0; p < size*size; p++ {
		dst[3*p], dst[3*p+1], dst[3*p+2] = out.Pix[4*p], out.Pix[4*p+1], out.Pix[4*p+2]
	}
	return nil
}

// classFolders lists the sub-folders of dir in sorted order: the class names of an image folder, whose
// index in this order is the class label (the ImageFolder convention).
func classFolders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: %w", dir, badf("no class folders"))
	}
	return names, nil // os.ReadDir returns entries sorted by name
}

// scanClasses lists the images of the given class folders under dir; class i's label is i. A missing or
// empty class folder is an error naming it.
func scanClasses(dir string, classes []string) ([]string, []int32, error) {
	var files []string
	var labels []int32
	for ci, c := range classes {
		cdir := filepath.Join(dir, c)
		entries, err := os.ReadDir(cdir)
		if err != nil {
			return nil, nil, err
		}
		n := 0
		for _, e := range entries {
			if e.Type().IsRegular() && imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
				files = append(files, filepath.Join(cdir, e.Name()))
				labels = append(labels, int32(ci))
				n++
			}
		}
		if n == 0 {
			return nil, nil, fmt.Errorf("%s: %w", cdir, badf("empty class folder: no JPEG or PNG images"))
		}
	}
	return files, labels, nil
}

// folderSplits holds what an image folder data set yields: its classes and the train and test sources.
type folderSplits struct {
	classes     []string
	train, test *folderSource
}

// openFolder reads an image folder root holding train/<class>/* and val/<class>/* (or test/<class>/*),
// keeping only the given classes (all of train's class folders when classes is nil). When valCSV is
// given and val/ holds the images flat, as Kaggle's ILSVRC archive does, their classes come from that
// LOC_val_solution.csv.
func openFolder(root string, classes []string, size int, valCSV string) (*folderSplits, error) {
	trainDir := filepath.Join(root, "train")
	if classes == nil {
		var err error
		if classes, err = classFolders(trainDir); err != nil {
			return nil, err
		}
	}
	testDir := filepath.Join(root, "val")
	if _, err := os.Stat(testDir); err != nil {
		if alt := filepath.Join(root, "test"); isDir(alt) {
			testDir = alt
		}
	}
	fs := &folderSplits{classes: classes}
	files, labels, err := scanClasses(trainDir, classes)
	if err != nil {
		return nil, err
	}
	fs.train = newFolderSource(files, labels, size)
	if valCSV != "" && !isDir(filepath.Join(testDir, classes[0])) {
		files, labels, err = scanFlatVal(testDir, valCSV, classes)
	} else {
		files, labels, err = scanClasses(testDir, classes)
	}
	if err != nil {
		return nil, err
	}
	fs.test = newFolderSource(files, labels, size)
	return fs, nil
}

// scanFlatVal lists the images of a flat validation folder whose classes a Kaggle LOC_val_solution.csv
// gives ("ImageId,PredictionString", the string starting with the wnid), keeping those of the given
// classes, in ImageId order. Every kept class must have an image.
func scanFlatVal(dir, csvPath string, classes []string) ([]string, []int32, error) {
	f, err := os.Open(csvPath)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	label := make(map[string]int32, len(classes))
	for i, c := range classes {
		label[c] = int32(i)
	}
	type entry struct {
		id    string
		label int32
	}
	var kept []entry
	r := csv.NewReader(f)
	r.FieldsPerRecord = 2
	for row := 1; ; row++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s:%d: %w", csvPath, row, badf("%v", err))
		}
		if row == 1 && rec[0] == "ImageId" {
			continue
		}
		wnid, _, _ := strings.Cut(strings.TrimSpace(rec[1]), " ")
		if rec[0] == "" || wnid == "" {
			return nil, nil, fmt.Errorf("%s:%d: field %q: %w", csvPath, row, "PredictionString", badf("want an image id and a wnid"))
		}
		if l, ok := label[wnid]; ok {
			kept = append(kept, entry{rec[0], l})
		}
	}
	slices.SortFunc(kept, func(a, b entry) int { return strings.Compare(a.id, b.id) })
	files := make([]string, len(kept))
	labels := make([]int32, len(kept))
	counts := make([]int, len(classes))
	for i, e := range kept {
		files[i] = filepath.Join(dir, e.id+".JPEG")
		labels[i] = e.label
		counts[e.label]++
	}
	for i, n := range counts {
		if n == 0 {
			return nil, nil, fmt.Errorf("%s: %w", csvPath, badf("no validation image of class %s", classes[i]))
		}
	}
	return files, labels, nil
}

// isDir reports whether path is an existing directory.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// imageNetRoot finds the folder holding train/ and val/ of ILSVRC-2012 — dir itself or, for the archive
// as Kaggle's ImageNet download extracts it, dir/ILSVRC/Data/CLS-LOC — and the LOC_val_solution.csv
// that labels a flat val/ ("" when there is none).
func imageNetRoot(dir string) (root, valCSV string) {
	root = dir
	if alt := filepath.Join(dir, "ILSVRC", "Data", "CLS-LOC"); !isDir(filepath.Join(dir, "train")) && isDir(alt) {
		root = alt
	}
	for _, d := range []string{root, dir} {
		if p := filepath.Join(d, "LOC_val_solution.csv"); fileExists(p) {
			return root, p
		}
	}
	return root, ""
}

// fileExists reports whether path is an existing regular file.
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// imageNet100Classes returns the 100 wnids of the chosen ImageNet-100 variant, sorted (their label order).
// The reference variant takes every 10th of the 1000 class folders under trainDir in sorted order, so it
// needs all 1000 present; the CMC variant is the embedded list.
func imageNet100Classes(trainDir, variant string) ([]string, error) {
	if variant == VariantCMC {
		return slices.Sorted(slices.Values(CMCImageNet100())), nil
	}
	all, err := classFolders(trainDir)
	if err != nil {
		return nil, err
	}
	if len(all) != 1000 {
		return nil, fmt.Errorf("%s: %w", trainDir, badf("%d class folders; the reference ImageNet-100 takes every 10th of the 1000 ILSVRC-2012 wnids, so all 1000 must be present (or use imagenet100:DIR:cmc)", len(all)))
	}
	return ReferenceImageNet100(all), nil
}

// ReferenceImageNet100 returns the reference code's ImageNet-100 classes from the 1000 sorted ILSVRC-2012
// wnids: indices 0, 10, 20, …, 990.
func ReferenceImageNet100(sortedWnids []string) []string {
	var out []string
	for i := 0; i < len(sortedWnids); i += 10 {
		out = append(out, sortedWnids[i])
	}
	return out
}
