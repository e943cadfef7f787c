package data

import (
	"fmt"
	"strings"
)

// Kind names a dataset format as the --data spec spells it.
type Kind string

// The dataset kinds a --data spec can name.
const (
	Builtin      Kind = "builtin"
	FashionMNIST Kind = "fashion-mnist"
	MNIST        Kind = "mnist"
	CIFAR10Kind  Kind = "cifar10"
	CIFAR100Kind Kind = "cifar100"
	ImageNet100  Kind = "imagenet100"
	Folder       Kind = "folder"
)

// ImageNet-100 variants: which 100 classes of ILSVRC-2012 are kept.
const (
	// VariantReference is the U-Boost reference code's subset: every 10th class (0, 10, …, 990) of the
	// 1000 wnids in sorted order.
	VariantReference = "ref"
	// VariantCMC is the fixed list of 100 wnids published with Contrastive Multiview Coding (Tian et al.).
	VariantCMC = "cmc"
)

// CIFAR-100 label choices.
const (
	LabelsFine   = "fine"
	LabelsCoarse = "coarse"
)

// DefaultFashionMNISTDir is where Debian's dataset-fashion-mnist package installs the full data set.
const DefaultFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// Spec is a parsed --data spec: a dataset kind, the folder it is read from, and a kind-specific option
// (CIFAR-100 "fine" or "coarse" labels, ImageNet-100 "ref" or "cmc" class list).
type Spec struct {
	Kind   Kind
	Dir    string
	Option string
}

// ParseSpec parses a --data spec: "builtin" (the default; also the empty string), "fashion-mnist[:DIR]"
// (DIR defaults to DefaultFashionMNISTDir), "mnist:DIR", "cifar10:DIR", "cifar100:DIR[:fine|:coarse]",
// "imagenet100:DIR[:ref|:cmc]" or "folder:DIR". DIR may itself contain colons; only a trailing ":fine",
// ":coarse", ":ref" or ":cmc" is read as the option.
func ParseSpec(s string) (Spec, error) {
	kind, dir, hasDir := strings.Cut(s, ":")
	sp := Spec{Kind: Kind(kind), Dir: dir}
	switch sp.Kind {
	case "", Builtin:
		if hasDir {
			return Spec{}, fmt.Errorf("data spec %q: builtin takes no folder", s)
		}
		return Spec{Kind: Builtin}, nil
	case FashionMNIST:
		if !hasDir {
			sp.Dir = DefaultFashionMNISTDir
		}
	case MNIST, CIFAR10Kind, Folder:
	case CIFAR100Kind:
		sp.Dir, sp.Option = cutOption(dir, LabelsFine, LabelsCoarse)
		if sp.Option == "" {
			sp.Option = LabelsFine
		}
	case ImageNet100:
		sp.Dir, sp.Option = cutOption(dir, VariantReference, VariantCMC)
		if sp.Option == "" {
			sp.Option = VariantReference
		}
	default:
		return Spec{}, fmt.Errorf("data spec %q: unknown dataset %q (want builtin, fashion-mnist, mnist, cifar10, cifar100, imagenet100 or folder)", s, kind)
	}
	if sp.Dir == "" {
		return Spec{}, fmt.Errorf("data spec %q: missing folder (write %s:DIR)", s, kind)
	}
	return sp, nil
}

// cutOption splits a trailing ":opt" off dir when opt is one of the allowed options.
func cutOption(dir string, allowed ...string) (string, string) {
	i := strings.LastIndexByte(dir, ':')
	if i < 0 {
		return dir, ""
	}
	for _, a := range allowed {
		if dir[i+1:] == a {
			return dir[:i], a
		}
	}
	return dir, ""
}

// String writes the spec back in the form ParseSpec reads, options included.
func (s Spec) String() string {
	switch s.Kind {
	case Builtin:
		return string(Builtin)
	case CIFAR100Kind, ImageNet100:
		return string(s.Kind) + ":" + s.Dir + ":" + s.Option
	}
	return string(s.Kind) + ":" + s.Dir
}
