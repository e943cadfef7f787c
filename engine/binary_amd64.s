#include "textflag.h"

// Element-wise float32 Add, Sub and Mul, 8 lanes at a time: one IEEE operation per element, so
// the results are the same bits as the Go loops in elementwise.go.

// VV(OPS, OPSS): o[i] = l[i] OP r[i] for i < len(o); l and r are at least as long.
#define VV(OPS, OPSS) \
	MOVQ o_base+0(FP), DI \
	MOVQ o_len+8(FP), CX \
	MOVQ l_base+24(FP), SI \
	MOVQ r_base+48(FP), DX \
loop32: \
	CMPQ CX, $32 \
	JL   loop8 \
	VMOVUPS (SI), Y0 \
	VMOVUPS 32(SI), Y1 \
	VMOVUPS 64(SI), Y2 \
	VMOVUPS 96(SI), Y3 \
	OPS (DX), Y0, Y0 \
	OPS 32(DX), Y1, Y1 \
	OPS 64(DX), Y2, Y2 \
	OPS 96(DX), Y3, Y3 \
	VMOVUPS Y0, (DI) \
	VMOVUPS Y1, 32(DI) \
	VMOVUPS Y2, 64(DI) \
	VMOVUPS Y3, 96(DI) \
	ADDQ $128, DI \
	ADDQ $128, SI \
	ADDQ $128, DX \
	SUBQ $32, CX \
	JMP  loop32 \
loop8: \
	CMPQ CX, $8 \
	JL   tail \
	VMOVUPS (SI), Y0 \
	OPS (DX), Y0, Y0 \
	VMOVUPS Y0, (DI) \
	ADDQ $32, DI \
	ADDQ $32, SI \
	ADDQ $32, DX \
	SUBQ $8, CX \
	JMP  loop8 \
tail: \
	CMPQ CX, $0 \
	JE   done \
	VMOVSS (SI), X0 \
	OPSS (DX), X0, X0 \
	VMOVSS X0, (DI) \
	ADDQ $4, DI \
	ADDQ $4, SI \
	ADDQ $4, DX \
	DECQ CX \
	JMP  tail \
done: \
	VZEROUPPER \
	RET

// VS(OPS, OPSS): o[i] = v[i] OP s for i < len(o); v is at least as long.
#define VS(OPS, OPSS) \
	MOVQ o_base+0(FP), DI \
	MOVQ o_len+8(FP), CX \
	MOVQ v_base+24(FP), SI \
	VBROADCASTSS s+48(FP), Y15 \
loop32: \
	CMPQ CX, $32 \
	JL   loop8 \
	VMOVUPS (SI), Y0 \
	VMOVUPS 32(SI), Y1 \
	VMOVUPS 64(SI), Y2 \
	VMOVUPS 96(SI), Y3 \
	OPS Y15, Y0, Y0 \
	OPS Y15, Y1, Y1 \
	OPS Y15, Y2, Y2 \
	OPS Y15, Y3, Y3 \
	VMOVUPS Y0, (DI) \
	VMOVUPS Y1, 32(DI) \
	VMOVUPS Y2, 64(DI) \
	VMOVUPS Y3, 96(DI) \
	ADDQ $128, DI \
	ADDQ $128, SI \
	SUBQ $32, CX \
	JMP  loop32 \
loop8: \
	CMPQ CX, $8 \
	JL   tail \
	VMOVUPS (SI), Y0 \
	OPS Y15, Y0, Y0 \
	VMOVUPS Y0, (DI) \
	ADDQ $32, DI \
	ADDQ $32, SI \
	SUBQ $8, CX \
	JMP  loop8 \
tail: \
	CMPQ CX, $0 \
	JE   done \
	VMOVSS (SI), X0 \
	OPSS X15, X0, X0 \
	VMOVSS X0, (DI) \
	ADDQ $4, DI \
	ADDQ $4, SI \
	DECQ CX \
	JMP  tail \
done: \
	VZEROUPPER \
	RET

// func addVVAVX2(o, l, r []float32)
TEXT ·addVVAVX2(SB), NOSPLIT, $0-72
	VV(VADDPS, VADDSS)

// func subVVAVX2(o, l, r []float32)
TEXT ·subVVAVX2(SB), NOSPLIT, $0-72
	VV(VSUBPS, VSUBSS)

// func mulVVAVX2(o, l, r []float32)
TEXT ·mulVVAVX2(SB), NOSPLIT, $0-72
	VV(VMULPS, VMULSS)

// func addVSAVX2(o, v []float32, s float32)
TEXT ·addVSAVX2(SB), NOSPLIT, $0-52
	VS(VADDPS, VADDSS)

// func subVSAVX2(o, v []float32, s float32)
TEXT ·subVSAVX2(SB), NOSPLIT, $0-52
	VS(VSUBPS, VSUBSS)

// func mulVSAVX2(o, v []float32, s float32)
TEXT ·mulVSAVX2(SB), NOSPLIT, $0-52
	VS(VMULPS, VMULSS)
