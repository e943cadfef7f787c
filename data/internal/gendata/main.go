// Command gendata writes the built-in default data set of package data: a stratified subset of
// Fashion-MNIST — the first -train-per-class training and -test-per-class test images of each class, in
// file order — as gzipped IDX files named like the originals.
//
//	go run ./data/internal/gendata -src /usr/share/datasets/fashion-mnist -out data/builtin
//
// The source is Debian's dataset-fashion-mnist package. The output is deterministic (gzip header without
// a time stamp), so regenerating it leaves the committed files unchanged.
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/uboost/uboost/data"
	"github.com/uboost/uboost/internal/atomicfile"
)

func main() {
	src := flag.String("src", data.DefaultFashionMNISTDir, "folder holding the Fashion-MNIST IDX files")
	out := flag.String("out", "builtin", "folder to write the subset to")
	trainPer := flag.Int("train-per-class", data.BuiltinTrainPerClass, "training images kept per class")
	testPer := flag.Int("test-per-class", data.BuiltinTestPerClass, "test images kept per class")
	flag.Parse()
	if err := run(*src, *out, *trainPer, *testPer); err != nil {
		fmt.Fprintln(os.Stderr, "gendata:", err)
		os.Exit(1)
	}
}

// run writes the train and t10k subsets.
func run(src, out string, trainPer, testPer int) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	for _, set := range []struct {
		prefix string
		per    int
	}{{"train", trainPer}, {"t10k", testPer}} {
		if err := subset(src, out, set.prefix, set.per); err != nil {
			return err
		}
	}
	return nil
}

// subset keeps the first per images of each of the 10 classes of one IDX image/label pair.
func subset(src, out, prefix string, per int) error {
	imagesName, labelsName := prefix+"-images-idx3-ubyte.gz", prefix+"-labels-idx1-ubyte.gz"
	images, err := data.ReadIDXFile(filepath.Join(src, imagesName))
	if err != nil {
		return err
	}
	labels, err := data.ReadIDXFile(filepath.Join(src, labelsName))
	if err != nil {
		return err
	}
	if len(images.Dims) != 3 || len(labels.Dims) != 1 || images.Dims[0] != labels.Dims[0] {
		return fmt.Errorf("%s: dimensions %v do not match labels %v", imagesName, images.Dims, labels.Dims)
	}
	rec := images.Dims[1] * images.Dims[2]
	var keptImages, keptLabels []uint8
	taken := make([]int, 10)
	for i, l := range labels.Data {
		if int(l) >= len(taken) || taken[l] >= per {
			continue
		}
		taken[l]++
		keptLabels = append(keptLabels, l)
		keptImages = append(keptImages, images.Data[i*rec:(i+1)*rec]...)
	}
	for c, n := range taken {
		if n < per {
			return fmt.Errorf("%s: class %d has %d images, want %d", labelsName, c, n, per)
		}
	}
	n := len(keptLabels)
	if err := writeGz(filepath.Join(out, imagesName), []int{n, images.Dims[1], images.Dims[2]}, keptImages); err != nil {
		return err
	}
	return writeGz(filepath.Join(out, labelsName), []int{n}, keptLabels)
}

// writeGz writes one gzipped IDX file at the best compression, atomically.
func writeGz(path string, dims []int, b []uint8) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
		if err != nil {
			return err
		}
		if err := data.WriteIDX(zw, dims, b); err != nil {
			return err
		}
		return zw.Close()
	})
}
