package arch

import "github.com/uboost/uboost/accel"

// Layers lowers the network to the accelerator's layers, in node order. A conv (grouped or not),
// depthwise or dense node becomes its GEMM layer; pooling, add, mul, concat, pad, identity and zero
// nodes become zero-cycle layers; a node is followed by zero-cycle "NAME/bn" and "NAME/ACT" layers
// when it has them (hard sigmoid and hard swish are reported as sigmoid and swish). Input sizes are the padded ones, as in
// SCALE-Sim topologies. The network must be valid (Load and Parse validate).
func (n *Network) Layers() ([]accel.Layer, error) {
	shapes, err := n.Infer()
	if err != nil {
		return nil, err
	}
	var layers []accel.Layer
	for i := range n.Nodes {
		nd := &n.Nodes[i]
		in := shapes[nd.Inputs[0]]
		out := shapes[nd.Name]
		k, s, d, p := nd.Geometry()
		l := accel.Layer{
			Name: nd.Name,
			InH:  in.H, InW: in.W, InC: in.C,
			OutH: out.H, OutW: out.W, OutC: out.C,
		}
		window := func(op accel.Op) {
			l.Op = op
			l.InH, l.InW = in.H+2*p, in.W+2*p
			l.KH, l.KW, l.StrideH, l.StrideW, l.DilationH, l.DilationW = k, k, s, s, d, d
		}
		switch nd.Op {
		case OpConv:
			window(accel.Conv)
			if nd.Groups > 1 {
				l.Groups = nd.Groups
			}
		case OpDepthwise:
			window(accel.Depthwise)
		case OpMaxPool:
			if nd.Global {
				l.Op = accel.MaxPool
				l.KH, l.KW, l.StrideH, l.StrideW, l.DilationH, l.DilationW = in.H, in.W, 1, 1, 1, 1
			} else {
				window(accel.MaxPool)
			}
		case OpAvgPool:
			if nd.Global {
				l.Op = accel.AvgPool
				l.KH, l.KW, l.StrideH, l.StrideW, l.DilationH, l.DilationW = in.H, in.W, 1, 1, 1, 1
			} else {
				window(accel.AvgPool)
			}
		case OpDense:
			l.Op = accel.Dense
		case OpAdd:
			l.Op = accel.Add
		case OpMul:
			l.Op = accel.Mul
		case OpIdentity:
			l.Op = accel.Identity
		case OpZero:
			l.Op = accel.Zero
		case OpConcat:
			l.Op, l.InC = accel.Concat, out.C
		case OpPad:
			l.Op = accel.Pad
		}
		layers = append(layers, l)
		post := accel.Layer{InH: out.H, InW: out.W, InC: out.C, OutH: out.H, OutW: out.W, OutC: out.C}
		if nd.BN {
			post.Name, post.Op = nd.Name+"/bn", accel.BN
			layers = append(layers, post)
		}
		if nd.Act != ActNone {
			post.Name = nd.Name + "/" + nd.Act
			switch nd.Act {
			case ActReLU, ActReLU6:
				post.Op = accel.ReLU
			case ActSwish, ActHardSwish:
				post.Op = accel.Swish
			case ActSigmoid, ActHardSigmoid:
				post.Op = accel.Sigmoid
			}
			layers = append(layers, post)
		}
	}
	return layers, nil
}

// Params returns the trainable parameters of the network: weights, biases of dense layers and of convs
// without batch norm, and BN scale and offset.
func (n *Network) Params() (int64, error) {
	layers, err := n.Layers()
	if err != nil {
		return 0, err
	}
	var total int64
	byName := map[string]*Node{}
	for i := range n.Nodes {
		byName[n.Nodes[i].Name] = &n.Nodes[i]
	}
	for _, l := range layers {
		total += l.Params()
		if nd, ok := byName[l.Name]; ok && l.Op.IsGEMM() && !nd.BN {
			total += int64(l.OutC) // bias
		}
		if l.Op == accel.BN {
			total += 2 * int64(l.OutC)
		}
	}
	return total, nil
}

// Prune removes the nodes no path leads from to the output (dead branches), keeping the order of the
// rest, and returns how many it removed.
func (n *Network) Prune() int {
	live := map[string]bool{n.Output(): true}
	for i := len(n.Nodes) - 1; i >= 0; i-- {
		if nd := &n.Nodes[i]; live[nd.Name] {
			for _, in := range nd.Inputs {
				live[in] = true
			}
		}
	}
	kept := n.Nodes[:0]
	for _, nd := range n.Nodes {
		if live[nd.Name] {
			kept = append(kept, nd)
		}
	}
	removed := len(n.Nodes) - len(kept)
	n.Nodes = kept
	return removed
}
