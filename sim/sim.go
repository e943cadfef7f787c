package sim

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/uboost/uboost/accel"
)

// MaxPrefetch bounds Options.Prefetch, the staging slots per array.
const MaxPrefetch = 1 << 10

// DefaultPrefetch is the staging slots per array when Options.Prefetch is 0: a double buffer.
const DefaultPrefetch = 2

// MaxTiles bounds the weight tiles of one layer. The simulator visits every tile (about 3·10^6 a
// second), so an absurd layer (a typo in a topology file) is refused within a second or two instead of
// running for minutes; real layers have at most a few 10^4 tiles even on an 8×8 array.
const MaxTiles = 1 << 22

// MaxRows bounds the rows a GEMM streams (batch · output pixels), keeping PE-cycle counts in int64.
const MaxRows = 1 << 36

// Options are the simulator's settings beyond what accel.Accelerator describes (the accelerator gives
// the array size, clock, bandwidth, SRAM, element size, batch and weight buffering).
type Options struct {
	// IdealMemory removes every memory stall: operands are on chip when wanted and outputs leave at once.
	IdealMemory bool `json:"ideal_memory"`
	// Prefetch is the number of tiles whose operands each array may stage in SRAM at once (the tile it
	// runs and those fetched ahead); 0 means DefaultPrefetch. The slots must fit in the SRAM.
	Prefetch int `json:"prefetch,omitempty"`
	// OverlapFolds lets a double-buffered array start the next tile's input wavefront right behind the
	// current one's, as the TPU does: each PE takes its new weights with the first input row of the new
	// tile, instead of all PEs at once when the previous fold has drained. The next weights may then only
	// shift into a column once its bottom PE has taken the current ones (R − 1 cycles into the fold,
	// columns skewed like the data), so tiles start max(M, 2R − 1) cycles apart. It departs from the
	// convention the systolic-pipelined model shares with the simulator and has no effect with single
	// buffering.
	OverlapFolds bool `json:"overlap_folds,omitempty"`
}

// Slots is Prefetch with its zero value read as DefaultPrefetch.
func (o Options) Slots() int {
	if o.Prefetch == 0 {
		return DefaultPrefetch
	}
	return o.Prefetch
}

// Validate reports an impossible setting, naming its field.
func (o Options) Validate() error {
	if o.Prefetch != 0 && (o.Prefetch < 2 || o.Prefetch > MaxPrefetch) {
		return &accel.FieldError{Field: "prefetch", Err: fmt.Errorf("want an integer in 2..%d, got %d", MaxPrefetch, o.Prefetch)}
	}
	return nil
}

// LayerResult is what the simulator counted for one layer.
type LayerResult struct {
	Name string   `json:"name"`
	Op   accel.Op `json:"op"`
	// GEMM is the product the layer became (accel.Layer.Lower at the accelerator's batch).
	GEMM accel.GEMM `json:"-"`
	// Tiles is the number of weight tiles the arrays ran, Count·⌈K/R⌉·⌈N/C⌉.
	Tiles int64 `json:"tiles"`
	// MACs is the layer's multiply-accumulates (equal to Breakdown.Active).
	MACs int64 `json:"macs"`
	// Cycles is the layer's length, from its first weight fetch to its last output written.
	Cycles int64 `json:"cycles"`
	// Breakdown splits Arrays·R·C·Cycles PE-cycles by what the PEs did.
	Breakdown Breakdown `json:"breakdown"`
	// DRAMBytes is the off-chip traffic the memory policy moved (counted even with ideal memory).
	DRAMBytes int64 `json:"dram_bytes"`
	// InputResident says whether the input feature map stayed in SRAM for the whole layer.
	InputResident bool `json:"input_resident"`
	// Accesses counts, tile by tile, the PE register, SRAM and DRAM accesses the layer made (package
	// documentation, "Accesses"), which package cost prices as energy.
	Accesses accel.Accesses `json:"accesses"`
}

// Result is a simulated network: its layers in order (each starts when the previous one has ended) and
// their sums.
type Result struct {
	// Arrays is the number of arrays simulated.
	Arrays int `json:"arrays"`
	// PEs is Arrays·R·C, the PE count every utilization and breakdown refers to.
	PEs       int64         `json:"pes"`
	Layers    []LayerResult `json:"layers"`
	MACs      int64         `json:"macs"`
	Cycles    int64         `json:"cycles"`
	Breakdown Breakdown     `json:"breakdown"`
}

// Utilization is MACs / (cycles · PEs) over the whole network, or 0 with no cycles.
func (r *Result) Utilization() float64 { return utilization(r.MACs, r.Cycles, r.PEs) }

// Utilization is the layer's MACs / (cycles · pes), or 0 when it took no cycles.
func (l LayerResult) Utilization(pes int64) float64 { return utilization(l.MACs, l.Cycles, pes) }

func utilization(macs, cycles, pes int64) float64 {
	if cycles == 0 {
		return 0
	}
	return float64(macs) / (float64(cycles) * float64(pes))
}

// Simulate runs the layers one after another on the arrays of accelerator a (a.NumArrays()) and counts
// their cycles (see the package documentation for the mechanics and the memory policy). The
// accelerator, the options and every layer are validated first; an error names the layer.
func Simulate(a *accel.Accelerator, layers []accel.Layer, opt Options) (*Result, error) {
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("accelerator: %w", err)
	}
	if err := opt.Validate(); err != nil {
		return nil, fmt.Errorf("simulator options: %w", err)
	}
	if need := stagingBytes(a, opt); !opt.IdealMemory && a.SRAMBytes < need {
		return nil, fmt.Errorf("accelerator: %w", &accel.FieldError{Field: "sram_bytes",
			Err: fmt.Errorf("%d bytes cannot stage %d %dx%d weight tiles per array (%d bytes)", a.SRAMBytes, opt.Slots(), a.Rows, a.Cols, need)})
	}
	for i, l := range layers {
		if err := l.Validate(); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Name, err)
		}
	}
	if err := accel.CheckWork(a, layers); err != nil {
		return nil, err
	}
	res := &Result{Arrays: a.NumArrays(), PEs: a.AllPEs(), Layers: make([]LayerResult, 0, len(layers))}
	for i, l := range layers {
		if err := l.Validate(); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Name, err)
		}
		lr, err := simulateLayer(a, l, opt)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Name, err)
		}
		res.Layers = append(res.Layers, lr)
		res.MACs += lr.MACs
		res.Cycles += lr.Cycles
		res.Breakdown.Add(lr.Breakdown)
	}
	return res, nil
}

// stagingBytes is the SRAM the staging slots take: Slots full weight tiles per array.
func stagingBytes(a *accel.Accelerator, opt Options) int64 {
	return int64(a.NumArrays()) * int64(opt.Slots()) * a.PEs() * int64(a.ElementBytes)
}

// arrayState is where one array stands in a layer's schedule.
type arrayState struct {
	foldStart int64   // start of its latest fold
	foldEnd   int64   // end (exclusive) of its latest fold
	done      int     // tiles it has run in this layer
	starts    []int64 // fold starts of its last Slots−1 tiles, a ring indexed by done
}

// simulateLayer steps through one layer's tiles. Times are cycles from the layer's start; the DRAM
// channel's position is kept in bytes (cycles · bytes per cycle), exact for integral bandwidths.
func simulateLayer(a *accel.Accelerator, l accel.Layer, opt Options) (LayerResult, error) {
	g := l.Lower(a.Batch)
	res := LayerResult{Name: l.Name, Op: l.Op, GEMM: g}
	if g.Empty() {
		return res, nil
	}
	R, C := int64(a.Rows), int64(a.Cols)
	if g.M <= 0 || g.K <= 0 || g.N <= 0 || g.Count <= 0 || g.M > MaxRows {
		return res, fmt.Errorf("GEMM %v is out of range (sizes overflow or exceed %d streamed rows)", g, int64(MaxRows))
	}
	rowTiles, colTiles := ceilDiv(g.K, R), ceilDiv(g.N, C)
	if rowTiles > MaxTiles || colTiles > MaxTiles || g.Count > MaxTiles ||
		rowTiles*colTiles > MaxTiles || g.Count*rowTiles*colTiles > MaxTiles {
		return res, fmt.Errorf("GEMM %v needs more than %d weight tiles on a %dx%d array", g, MaxTiles, R, C)
	}
	res.Tiles = g.Count * rowTiles * colTiles
	res.MACs = g.MACs()
	n := a.NumArrays()
	pe := R * C
	fold := g.M + R + C - 2
	double := a.Weights == accel.DoubleBuffer
	overlap := double && opt.OverlapFolds
	elem := int64(a.ElementBytes)
	_, inBytes, _ := l.Bytes(a.Batch, a.ElementBytes)
	res.InputResident = inBytes <= a.SRAMBytes-stagingBytes(a, opt)
	reductionRows := g.Count * g.K // all reduction rows of the layer, over which the input is shared out

	arrays := make([]arrayState, n)
	ring := opt.Slots() - 1
	for i := range arrays {
		arrays[i].starts = make([]int64, ring)
	}
	ch := newChannel(a.BytesPerCycle())
	var bd Breakdown
	var acc accel.Accesses
	var fetched int64 // bytes read from DRAM into SRAM
	t := 0
	for copyIdx := int64(0); copyIdx < g.Count; copyIdx++ {
		for j := int64(0); j < colTiles; j++ {
			cols := min(C, g.N-j*C)
			var blockStart int64
			for i := int64(0); i < rowTiles; i++ {
				rows := min(R, g.K-i*R)
				arr := &arrays[t%n]
				t++

				// base: when the weights' load into the array could start if they were on chip;
				// earliest: when the next wavefront may enter the array.
				base, earliest := int64(0), int64(0)
				if arr.done > 0 {
					switch {
					case overlap:
						// The wavefront follows the current tile's last input row. The shadow
						// registers form one shift chain down each column; column c may only shift
						// once its bottom PE has taken the current weights, at fold cycle R−1+c.
						// Columns load one cycle apart, as the data wavefront moves, so column 0's
						// timing stands for all.
						earliest, base = arr.foldStart+g.M, arr.foldStart+R-1
					case double:
						// Shadow registers are free once all PEs took their weights at fold start.
						earliest, base = arr.foldEnd, arr.foldStart
					default:
						// Single buffering shifts weights straight into the idle array.
						earliest, base = arr.foldEnd, arr.foldEnd
					}
				}
				weightsReady, inputsReady := int64(0), int64(0)
				wBytes := rows * cols * elem
				var iBytes int64
				if j == 0 || !res.InputResident {
					first := copyIdx*g.K + i*R
					iBytes = share(inBytes, first+rows, reductionRows) - share(inBytes, first, reductionRows)
				}
				res.DRAMBytes += wBytes + iBytes
				fetched += wBytes + iBytes
				// The weights go from SRAM into the PEs' registers; the M input rows of the
				// tile's k reduction rows stream from SRAM; every MAC latches an input and a
				// partial sum; the tile's M·n partial sums are written to SRAM and read back
				// (by the next row tile, or to be written out after the last).
				acc.Register += rows*cols + 2*g.M*rows*cols
				acc.SRAMRead += rows*cols + g.M*rows + g.M*cols
				acc.SRAMWrite += g.M * cols
				if !opt.IdealMemory {
					// Operands of this tile are fetched once its SRAM staging slot is free: the
					// slot of the tile Slots places back on this array, taken to be free when the
					// tile after that one starts its fold (with a double buffer: when the previous
					// tile does).
					issue := int64(0)
					if arr.done >= ring {
						issue = arr.starts[arr.done%ring]
					}
					weightsReady = ch.read(issue, wBytes)
					inputsReady = ch.read(issue, iBytes)
				}
				loadEnd := max(base, weightsReady) + R
				start := max(loadEnd, earliest, inputsReady)
				weightStall := max(0, base+R-earliest)
				bd.WeightStall += weightStall * pe
				bd.MemoryStall += (start - earliest - weightStall) * pe
				bd.Active += g.M * rows * cols
				bd.UnusedRows += g.M * (R - rows) * C
				bd.UnusedCols += g.M * rows * (C - cols)
				if !overlap || arr.done == 0 {
					// Every PE sees a fold's wavefront for M cycles; the other R + C − 2 are skew.
					// Overlapping folds pay it once per array, the later tiles' wavefronts
					// following the first one's without a gap.
					bd.FillDrain += (R + C - 2) * pe
				}
				arr.starts[arr.done%ring] = start
				arr.foldStart, arr.foldEnd = start, start+fold
				arr.done++
				blockStart = max(blockStart, start)
			}
			outBytes := g.M * cols * elem
			res.DRAMBytes += outBytes
			if !opt.IdealMemory {
				// The block's last fold finishes output row m when its last used column's sum
				// leaves, at blockStart + m + (R−1) + (cols−1): one row of cols elements per cycle.
				ch.write(blockStart+R+cols-2, g.M, cols*elem)
			}
		}
	}
	var computeEnd int64
	for _, s := range arrays {
		computeEnd = max(computeEnd, s.foldEnd)
	}
	for _, s := range arrays {
		// An array that finished early (or got no tile) waits for the others; N arrays side by side
		// act as one R×(N·C) array, so its idle PEs count as unused columns.
		bd.UnusedCols += (computeEnd - s.foldEnd) * pe
	}
	end := computeEnd
	if !opt.IdealMemory {
		end = max(end, ch.drain())
		bd.MemoryStall += (end - computeEnd) * pe * int64(n)
	}
	res.Cycles = end
	res.Breakdown = bd
	acc.MACs = res.MACs
	acc.SRAMWrite += fetched / elem // whole elements: each operand is fetched whole
	acc.DRAMBytes = res.DRAMBytes
	acc.IdlePECycles = bd.Sum() - bd.Active
	res.Accesses = acc
	return res, nil
}

// share returns floor(total·part/whole) without overflow: the bytes of the first part of whole
// reduction rows when total bytes are spread evenly over them.
func share(total, part, whole int64) int64 {
	hi, lo := bits.Mul64(uint64(total), uint64(part))
	q, _ := bits.Div64(hi, lo, uint64(whole))
	return int64(q)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// channel is the one DRAM channel. Reads are served first-come in program order at full bandwidth;
// writes of finished outputs use the time the channel would otherwise idle, never faster than the
// array produces them, and whatever is left of them when the arrays finish drains at the end of the
// layer. Positions are in bytes (cycle · rate).
type channel struct {
	rate    float64 // bytes per cycle
	reads   float64 // where the reads have got to
	writes  float64 // where the writes have got to
	pending []pendingWrite
}

// pendingWrite is a block of outputs produced at a steady pace.
type pendingWrite struct {
	from  float64 // byte position at which production starts
	pace  float64 // bytes produced per byte position
	total float64 // bytes in all
	done  float64 // bytes written so far
}

// produced returns the bytes of w that exist at byte position pos.
func (w *pendingWrite) produced(pos float64) float64 {
	return math.Min(w.total, math.Max(0, pos-w.from)*w.pace)
}

// end is the byte position at which the last byte of w is produced.
func (w *pendingWrite) end() float64 { return w.from + w.total/w.pace }

func newChannel(rate float64) *channel { return &channel{rate: rate} }

// read fetches n bytes asked for at cycle issue and returns the cycle at which they are all on chip.
// Writes pending before the read may use the channel up to the moment it starts.
func (c *channel) read(issue, n int64) int64 {
	start := math.Max(float64(issue)*c.rate, c.reads)
	c.fill(start)
	c.reads = start + float64(n)
	return c.cycle(c.reads)
}

// write queues rows·rowBytes bytes of output produced one row per cycle from cycle at.
func (c *channel) write(at, rows, rowBytes int64) {
	c.pending = append(c.pending, pendingWrite{
		from:  float64(at) * c.rate,
		pace:  float64(rowBytes) / c.rate,
		total: float64(rows * rowBytes),
	})
}

// fill lets pending writes use the idle channel until byte position until (+Inf: until all are done).
func (c *channel) fill(until float64) {
	c.writes = math.Max(c.writes, c.reads)
	for len(c.pending) > 0 {
		w := &c.pending[0]
		start := math.Max(c.writes, w.from)
		if start >= until {
			return
		}
		left := w.total - w.done
		n := math.Min(left, math.Min(until-start, w.produced(until)-w.done))
		if n < left {
			// Stopped by the next read, or by the array not having produced more yet.
			w.done += n
			c.writes = until
			return
		}
		c.writes = math.Max(start+left, w.end())
		c.pending = c.pending[1:]
	}
}

// drain writes everything still pending and returns the cycle the last byte leaves.
func (c *channel) drain() int64 {
	c.fill(math.Inf(1))
	return c.cycle(math.Max(c.writes, c.reads))
}

// cycle converts a byte position to the first whole cycle at or after it.
func (c *channel) cycle(pos float64) int64 { return int64(math.Ceil(pos / c.rate)) }
