package data

import (
	_ "embed"
	"strings"
)

//go:embed imagenet100_cmc.txt
var cmcList string

// CMCImageNet100 returns the ImageNet-100 class list of Contrastive Multiview Coding (Tian et al.,
// imagenet100.txt of its code release): 100 ILSVRC-2012 wnids, in the order published.
func CMCImageNet100() []string {
	return strings.Fields(cmcList)
}
