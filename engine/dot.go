package engine

import (
	"slices"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
)

func init() {
	sgSetNodeExecutor(backends.OpTypeDotGeneral, priorityUser, execDot)
}

// operandLayout tells how a DotGeneral operand can be read as a batch of matrices.
type operandLayout struct {
	direct        bool  // usable in place
	contractFirst bool  // memory is [batch, contract, free] (else [batch, free, contract])
	kOrder        []int // contracting pair indices in memory order
}

// layoutOf checks whether an operand is [batch (in pair order), free, contract] or
// [batch, contract, free] in memory, with each block contiguous.
func layoutOf(rank int, contracting, batch []int) operandLayout {
	for i, a := range batch {
		if a != i {
			return operandLayout{}
		}
	}
	nb, nc := len(batch), len(contracting)
	pair := make([]int, rank)
	for i := range pair {
		pair[i] = -1
	}
	for i, a := range contracting {
		pair[a] = i
	}
	block := func(from int) ([]int, bool) {
		var order []int
		for a := from; a < from+nc; a++ {
			if a >= rank || a < nb || pair[a] < 0 {
				return nil, false
			}
			order = append(order, pair[a])
		}
		return order, true
	}
	if order, ok := block(rank - nc); ok {
		return operandLayout{direct: true, kOrder: order}
	}
	if order, ok := block(nb); ok {
		return operandLayout{direct: true, contractFirst: true, kOrder: order}
	}
	return operandLayout{}
}

// packOperand transposes x into [batch (pair order), free (ascending), contract (kOrder)].
func packOperand(dst, src []float32, dims, contracting, batch, kOrder []int) {
	special := make([]bool, len(dims))
	perm := make([]int, 0, len(dims))
	for _, a := range batch {
		perm = append(perm, a)
		special[a] = true
	}
	for _, a := range contracting {
		special[a] = true
	}
	for a := range dims {
		if !special[a] {
			perm = append(perm, a)
		}
	}
	for _, k := range kOrder {
		perm = append(perm, contracting[k])
	}
	transposeF32(dst, src, dims, perm)
}

func prodAxes(dims, axes []int) int {
	p := 1
	for _, a := range axes {
		p *= dims[a]
	}
	return p
}

// execDot runs an engine DotGeneral as a loop of sgemm over the batch, folding transpositions
// into sgemm's flags when an operand's memory layout allows, else packing it first.
func execDot(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error) {
	p, ok := nodeData(node).(*dotParams)
	if !ok {
		return sgExecDotGeneral(backend, node, inputs, inputsOwned)
	}
	ls, rs := bufShape(backend, inputs[0]), bufShape(backend, inputs[1])
	lhs, rhs := f32(backend, inputs[0]), f32(backend, inputs[1])
	ld, rd := ls.Dimensions, rs.Dimensions
	batch := prodAxes(ld, p.lhsBatch)
	k := prodAxes(ld, p.lhsContracting)
	m := ls.Size() / max(batch*k, 1)
	n := rs.Size() / max(batch*k, 1)
	if batch*k == 0 {
		m = ls.Size()
		n = rs.Size()
	}
	out := newOutput(backend, nodeShape(node))
	o := f32(backend, out)
	if k == 0 || batch == 0 {
		clear(o)
		return out, nil
	}
	pl := layoutOf(len(ld), p.lhsContracting, p.lhsBatch)
	pr := layoutOf(len(rd), p.rhsContracting, p.rhsBatch)
	var kOrder []int
	switch {
	case pl.direct && pr.direct && slices.Equal(pl.kOrder, pr.kOrder):
		kOrder = pl.kOrder
	case pl.direct:
		kOrder, pr.direct = pl.kOrder, false
	case pr.direct:
		kOrder, pl.direct = pr.kOrder, false
	default:
		for i := range p.lhsContracting {
			kOrder = append(kOrder, i)
		}
	}
	if !pl.direct {
		t := getScratch(len(lhs))
		defer putScratch(t)
		packOperand(t, lhs, ld, p.lhsContracting, p.lhsBatch, kOrder)
		lhs, pl.contractFirst = t, false
	}
	if !pr.direct {
		t := getScratch(len(rhs))
		defer putScratch(t)
		packOperand(t, rhs, rd, p.rhsContracting, p.rhsBatch, kOrder)
		rhs, pr.contractFirst = t, false
	}
	// A is M×K (lda=K) or stored K×M (transA, lda=M); B is stored N×K (transB, ldb=K) or K×N (ldb=N).
	transA, lda := pl.contractFirst, k
	if transA {
		lda = m
	}
	transB, ldb := !pr.contractFirst, k
	if !transB {
		ldb = n
	}
	for b := 0; b < batch; b++ {
		sgemm(transA, transB, m, n, k, 1, lhs[b*m*k:(b+1)*m*k], lda, rhs[b*k*n:(b+1)*k*n], ldb,
			0, o[b*m*n:(b+1)*m*n], n)
	}
	return out, nil
}
