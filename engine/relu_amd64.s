#include "textflag.h"

// The two passes of ReLU, 8 lanes at a time over the first len(o)&^7 elements (the Go callers
// finish the rest), with the Go loops' exact results.

// func maxVSAVX2(o, v []float32, s float32)
// o[i] = max(v[i], s) as Go's max for s neither NaN nor −0: VMAXPS returns s on equality (so
// max(−0, +0) = +0) and on NaN, after which a NaN in v is blended back in.
TEXT ·maxVSAVX2(SB), NOSPLIT, $0-52
	MOVQ o_base+0(FP), DI
	MOVQ o_len+8(FP), CX
	MOVQ v_base+24(FP), SI
	VBROADCASTSS s+48(FP), Y15
	SHRQ $3, CX
	JZ   mdone
mloop:
	VMOVUPS (SI), Y0
	VMAXPS Y15, Y0, Y1
	VCMPPS $3, Y0, Y0, Y2
	VBLENDVPS Y2, Y0, Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	DECQ CX
	JNZ  mloop
mdone:
	VZEROUPPER
	RET

// func selectGEAVX2(o, x, t []float32, s, f float32)
// o[i] = x[i] >= s ? t[i] : f (an ordered comparison: NaN selects f, as in Go).
TEXT ·selectGEAVX2(SB), NOSPLIT, $0-80
	MOVQ o_base+0(FP), DI
	MOVQ o_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ t_base+48(FP), DX
	VBROADCASTSS s+72(FP), Y15
	VBROADCASTSS f+76(FP), Y14
	SHRQ $3, CX
	JZ   sdone
sloop:
	VMOVUPS (SI), Y0
	VMOVUPS (DX), Y1
	VCMPPS $0x1d, Y15, Y0, Y2
	VBLENDVPS Y2, Y1, Y14, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	DECQ CX
	JNZ  sloop
sdone:
	VZEROUPPER
	RET
