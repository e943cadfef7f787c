// Package sim is a cycle-level simulator of weight-stationary systolic arrays. It steps through every
// weight tile of every layer on one or more R×C arrays, with weight loading, input skew, partial-sum
// drain, weight buffering, SRAM capacity and DRAM bandwidth, and counts where every PE-cycle went.
// It backs the analytical models of package cost with counted cycles; cost wraps it as the
// "simulator" model.
//
// # Tiles
//
// A layer is lowered with accel.Layer.Lower to a GEMM [M×K]·[K×N], repeated Count times for a
// depthwise layer (one product per channel, N = 1). Each product is cut into ⌈K/R⌉·⌈N/C⌉ weight tiles
// of at most R reduction rows by C output columns; every tile streams all M input rows. Tiles run in
// this order: product by product, column block by column block (⌈N/C⌉), and inside a column block
// down the reduction dimension (⌈K/R⌉), so that a block's partial sums are complete, and its outputs
// can be written back, as soon as its last tile has run. With several arrays, tiles are dealt out
// round-robin in that order (tile t runs on array t mod Arrays); partial sums of one block coming from
// different arrays are added by the output accumulators.
//
// # Cycle convention
//
// Cycles are counted from 0; a span "a–b" includes both ends and lasts b − a + 1 cycles; a layer
// lasts from its first cycle to the cycle after its last event. Layers run one after another and each
// starts with empty arrays, empty SRAM staging and an idle DRAM channel.
//
//   - Weight load: a tile's weights are shifted in from the top edge one PE row per cycle, so a load
//     takes R cycles whatever the tile's size (PEs outside the tile get zeros).
//   - Fold: input row m enters PE row r at fold cycle m + r (the skew), reaches column c at m + r + c,
//     and its partial sum for column c leaves the bottom of the array at m + (R−1) + c. The last one
//     leaves at (M−1) + (R−1) + (C−1), so a fold takes M + R + C − 2 cycles. Folds on one array do not
//     overlap: the next tile's first input enters after the previous tile's last output has left.
//   - Double buffering (accel.DoubleBuffer, the default): the next tile's weights shift into shadow
//     registers while the current tile folds, starting when the current fold starts; since a fold is
//     never shorter than R cycles, only the layer's first load is exposed. With ideal memory a layer
//     on one array takes R + tiles·(M + R + C − 2) cycles.
//   - Single buffering: a load starts only when the previous fold has ended: tiles·(2R + C + M − 2)
//     cycles with ideal memory, SCALE-Sim v2's weight-stationary count per fold.
//   - Overlapping folds (Options.OverlapFolds, double buffering only; off by default): each PE takes
//     the next tile's weights with that tile's first input row, so the next wavefront may enter M
//     cycles after the current one. A column's shadow shift chain is free once its bottom PE has
//     switched, R − 1 (+c, the columns being skewed like the data) cycles into the fold, and the next
//     weights then take R cycles to shift in. Tiles start max(M, 2R − 1) cycles apart and only the
//     last one drains: R + (tiles−1)·max(M, 2R − 1) + M + R + C − 2 with ideal memory.
//
// Inside a tile Simulate uses these lengths in closed form; every stall and tile boundary is
// simulated event by event. RunTiles executes tiles register by register instead (values and row tags
// moving through every PE, weights through the shadow chains, each tile starting when the hardware
// state allows), and the tests check that it takes exactly the cycles and PE-cycle classes Simulate
// counts with ideal memory, under every buffering, for random GEMMs.
//
// # Memory policy
//
// Every layer reads its weights and its input feature map from DRAM and writes its output feature map
// back (accel.Layer.Bytes), through one channel of accel.Accelerator.BytesPerCycle bytes per cycle.
//
//   - Staging: each array has Options.Prefetch SRAM staging slots, two (a double buffer) by default;
//     an SRAM smaller than that many R×C weight tiles per array is an error. A tile's operands are
//     requested when the slot it reuses is free: when the tile Prefetch−1 places earlier on the same
//     array starts its fold (the slot's previous tile has finished by then); with two slots, when the
//     previous tile starts its fold. The first Prefetch−1 tiles on each array are requested at the
//     layer's start.
//   - Reads are served in tile order at full bandwidth: the tile's weights (k·n elements), then its
//     share of the input feature map. The input is spread evenly over the layer's Count·K reduction
//     rows; a tile fetches the bytes of its rows.
//   - Input residency: if the input feature map fits in the SRAM beside the staging slots
//     (input bytes ≤ SRAM − Arrays·Prefetch·R·C·element bytes) it stays on chip after the first
//     column block and later blocks read no input; otherwise every column block streams it again.
//   - Partial sums live in the arrays' output accumulators (not counted against the SRAM, like the
//     separate P banks of the paper's simulator). A column block's outputs (M·n elements) are
//     final during its last tile's fold: output row m once the sum of the last used column leaves,
//     so one row of n elements per cycle. They are written back as they appear, whenever no read is
//     waiting; what is left when the arrays finish drains at the end of the layer.
//   - A weight load cannot start before the tile's weights are on chip, and a fold cannot start
//     before its inputs are. Options.IdealMemory removes the channel: everything is on chip in time.
//
// The channel's position is kept in bytes, so transfers are exact for integral bytes per cycle;
// the array waits for the first whole cycle at or after the last byte of what it needs.
//
// # Accesses
//
// For energy, each layer counts (LayerResult.Accesses) in its tile loop: per tile of k rows and n
// columns, k·n PE register writes (the weights) and 2·M·k·n more (per MAC an input latched to pass
// right and a partial sum latched to pass down); SRAM reads of the k·n weights, of the M·k streamed
// inputs and of the M·n partial sums (read back to accumulate, or after the block's last tile to be
// written out); SRAM writes of the M·n partial sums and of every byte fetched from DRAM. Idle
// PE-cycles are the breakdown's PE-cycles without a MAC. Partial sums are counted as SRAM accesses
// although their banks are not counted against the SRAM's capacity.
//
// # Breakdown
//
// Each layer's Arrays·R·C·Cycles PE-cycles are split exactly (Breakdown.Sum equals it):
//
//   - active: a PE multiplies a real weight by a real input; it equals the layer's MACs;
//   - unused_rows: during a fold, a PE in a row the tile leaves empty (k < R) sees the input
//     wavefront pass with no weight to use: M·(R−k)·C per tile;
//   - unused_cols: likewise for columns the tile leaves empty (n < C) in used rows, M·k·(C−n) per tile;
//     and an array that has finished its tiles (or got none) while another array still works, since
//     several arrays side by side act as one wider array whose extra columns are idle;
//   - fill_drain: the skew; each PE sees the wavefront for M of a fold's M + R + C − 2 cycles, the
//     other R + C − 2 are fill and drain: (R+C−2)·R·C per tile (once per array and layer when folds
//     overlap);
//   - weight_stall: the array waits for a weight load that would have been needed with ideal memory
//     (R cycles for a layer's first tile, for every tile when single-buffered, and 2R − 1 − M
//     between overlapping folds when M < 2R − 1), times R·C;
//   - memory_stall: every other cycle the array waits, for weights or inputs still on their way from
//     DRAM, and for the layer's last outputs to be written back, times R·C (times Arrays at the end).
package sim
