package data

import (
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	cases := []struct {
		in   string
		want Spec
	}{
		{"", Spec{Kind: Builtin}},
		{"builtin", Spec{Kind: Builtin}},
		{"fashion-mnist", Spec{Kind: FashionMNIST, Dir: DefaultFashionMNISTDir}},
		{"fashion-mnist:/d", Spec{Kind: FashionMNIST, Dir: "/d"}},
		{"mnist:/x/GoMNIST/data", Spec{Kind: MNIST, Dir: "/x/GoMNIST/data"}},
		{"cifar10:c10", Spec{Kind: CIFAR10Kind, Dir: "c10"}},
		{"cifar100:c", Spec{Kind: CIFAR100Kind, Dir: "c", Option: LabelsFine}},
		{"cifar100:c:coarse", Spec{Kind: CIFAR100Kind, Dir: "c", Option: LabelsCoarse}},
		{"cifar100:a:b:fine", Spec{Kind: CIFAR100Kind, Dir: "a:b", Option: LabelsFine}},
		{"imagenet100:/in", Spec{Kind: ImageNet100, Dir: "/in", Option: VariantReference}},
		{"imagenet100:/in:cmc", Spec{Kind: ImageNet100, Dir: "/in", Option: VariantCMC}},
		// An unknown trailing word belongs to the folder name.
		{"imagenet100:/in:x", Spec{Kind: ImageNet100, Dir: "/in:x", Option: VariantReference}},
		{"folder:imgs", Spec{Kind: Folder, Dir: "imgs"}},
	}
	for _, c := range cases {
		got, err := ParseSpec(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSpec(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []struct{ in, want string }{
		{"mnist", "missing folder"},
		{"cifar10:", "missing folder"},
		{"cifar100::coarse", "missing folder"},
		{"builtin:x", "takes no folder"},
		{"svhn:/d", `unknown dataset "svhn"`},
	} {
		_, err := ParseSpec(bad.in)
		if err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), bad.in) {
			t.Errorf("ParseSpec(%q) error %v, want one naming the spec and %q", bad.in, err, bad.want)
		}
	}
}

func FuzzSpec(f *testing.F) {
	for _, s := range []string{"builtin", "fashion-mnist", "mnist:d", "cifar100:a:coarse", "imagenet100:x:cmc", "folder:f:g", "cifar10::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpec(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
			return
		}
		if sp.Dir == "" && sp.Kind != Builtin {
			t.Fatalf("%q parsed with an empty folder", s)
		}
		// String writes what ParseSpec reads back unchanged.
		again, err := ParseSpec(sp.String())
		if err != nil || again != sp {
			t.Fatalf("%q → %+v → %q → %+v, %v", s, sp, sp.String(), again, err)
		}
	})
}
