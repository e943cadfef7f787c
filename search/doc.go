// Package search is U-Boost's differentiable architecture search (PAPER.md §2): a supernet of cells
// whose edges mix candidate operations, a loss that adds the accelerator's latency and utilization
// computed in the graph, and the two search stages that turn it into an arch.Network.
//
// The supernet: a stem (3×3 conv + BN + ReLU, optionally a 2×2 max-pool), k cells and a fully
// connected classifier on the flattened map. A cell takes the outputs of the previous two cells
// through 3×3 pre-convs (stride 2 on the older one after a pool), computes three intermediate nodes
// over nine edges — t1 = op(xp) + op(xpp), t2 = op(t1) + op(xp) + op(xpp), t3 = op(t2) + op(t1) +
// op(xp) + op(xpp) — outputs t3 and may end with a 2×2 max-pool. Edge candidates are conv 3×3/5×5,
// separable 3×3/5×5, dilated (d=2) 3×3/5×5, identity and zero, each conv with BN + ReLU; every op is a
// short list of arch nodes built by nn.Apply, so the derived network is exactly what the supernet ran.
//
// Stages (RunMicro, RunChannel): the micro stage mixes every edge's ops with Gumbel-softmax weights
// over logits α (shared by all cells, as the reference code does, or per cell); the channel stage fixes
// the argmax ops, prunes dead branches, and lets every searched conv (pre-convs, edge convs, the
// pointwise half of separable convs) compute max(Channels) outputs multiplied by the DMasking mask
// Σ_j g_j·[c < Channels[j]]. τ starts at Config.Tau each stage and decays per epoch. Each epoch's first
// WeightFraction of batches update the weights (SGD, momentum, weight decay, global-norm clip), the rest
// update the logits (GoMLX's Adam); in the first WarmupEpochs of a stage every batch updates the
// weights (PC-DARTS' warm-up; 0 by default, as the reference). Every epoch ends with a checkpoint (weights, logits, optimizer
// state, RNG state) and state.json; a run killed at any moment resumes from the last complete epoch and
// ends with the same arch.json as one never interrupted.
//
// The loss is CE + λ·latency_ms − β·utilization. Per layer the cost package prices the GEMM the layer
// lowers to (cost.Cycles, cost.MACs, or the LUT):
//   - at discrete widths (the micro stage's fixed widths; the channel stage's options) a layer's cost is
//     the expectation over the Gumbel-softmax weights of the exact-ceiling cost of each option — for a
//     conv whose input is itself searched, over the joint distribution of input and output widths; the
//     gradient flows through the probabilities, so no ceiling needs smoothing there. An Add node's width
//     is the widest of its inputs: its distribution is that of the maximum (product of the inputs' CDFs).
//   - with WidthExpectedWidth (the reference code) the layer is priced at the expected widths Σ g_j c_j
//     through the smooth ceiling (Config.Ceil: tight by default, the paper's eq. 7 as an option).
//   - the network's latency and utilization terms follow the reference aggregation by default
//     (AggReference, PAPER.md §1.5): a micro-stage edge costs the mean over its ops conditioned on a
//     GEMM op (identity and zero out of numerator and denominator, so zeroing an edge does not buy
//     latency), per-block utilization, separable blocks averaging their two layers, unweighted mean per
//     cell, sum over cells, stem and classifier left out. AggMACWeighted instead sums every GEMM layer's
//     expected cycles (stem and classifier included, identity and zero at 0 cycles) with utilization
//     Σ MACs / (Σ cycles · R·C) (DESIGN.md); with it λ can buy latency by zeroing edges, and on the
//     demo it did (docs/PROTOCOL.md).
//   - the 1×1 projections the derived network inserts where an Add node's inputs differ in width are not
//     in the search loss (nor in the reference's); the derived network's exact cost includes them.
//
// Derive builds the discrete network (argmax of α, over the non-zero ops with Config.ExcludeZero as
// DARTS does, and of the width logits) as an arch.Network whose
// nodes carry their cell and edge; it is written to arch.json and loads into estimate, simulate and
// train like any other.
package search
