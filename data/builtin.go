package data

import (
	"compress/gzip"
	"embed"
	"fmt"
)

// The built-in default data set: a stratified subset of Fashion-MNIST (the first 1000 training and the
// first 200 test images of each class, in file order), as gzipped IDX files. It lets every command run
// with nothing installed; the full set is the "fashion-mnist" spec. Regenerate it from Debian's
// dataset-fashion-mnist with:
//
//go:generate go run ./internal/gendata -src /usr/share/datasets/fashion-mnist -out builtin
//go:embed builtin/*.gz
var builtinFS embed.FS

// Sizes of the built-in subset, per class.
const (
	BuiltinTrainPerClass = 1000
	BuiltinTestPerClass  = 200
)

// builtinIDX reads one embedded gzipped IDX file.
func builtinIDX(name string) (*IDX, error) {
	f, err := builtinFS.Open(name)
	if err != nil {
		return nil, fmt.Errorf("built-in data: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, badf("gzip header: %v", err))
	}
	return ReadIDX(zr, name)
}
