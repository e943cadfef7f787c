#include "textflag.h"

// func fmaVecAVX2(dst, a, b []float32)
// dst[i] += a[i] * b[i] for i < len(dst); a and b are at least as long.
TEXT ·fmaVecAVX2(SB), NOSPLIT, $0-72
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ a_base+24(FP), SI
	MOVQ b_base+48(FP), DX
loop32:
	CMPQ CX, $32
	JL   loop8
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	VMOVUPS (DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 64(DI), Y2
	VMOVUPS 96(DI), Y3
	VFMADD231PS (DX), Y4, Y0
	VFMADD231PS 32(DX), Y5, Y1
	VFMADD231PS 64(DX), Y6, Y2
	VFMADD231PS 96(DX), Y7, Y3
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	VMOVUPS Y2, 64(DI)
	VMOVUPS Y3, 96(DI)
	ADDQ $128, DI
	ADDQ $128, SI
	ADDQ $128, DX
	SUBQ $32, CX
	JMP  loop32
loop8:
	CMPQ CX, $8
	JL   tail
	VMOVUPS (SI), Y4
	VMOVUPS (DI), Y0
	VFMADD231PS (DX), Y4, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JMP  loop8
tail:
	CMPQ CX, $0
	JE   done
	VMOVSS (SI), X4
	VMOVSS (DI), X0
	VFMADD231SS (DX), X4, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ $4, SI
	ADDQ $4, DX
	DECQ CX
	JMP  tail
done:
	VZEROUPPER
	RET

// func mulAddVecAVX2(dst, x, m, c []float32)
// dst[i] = x[i]*m[i] + c[i] for i < len(dst).
TEXT ·mulAddVecAVX2(SB), NOSPLIT, $0-96
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ x_base+24(FP), SI
	MOVQ m_base+48(FP), DX
	MOVQ c_base+72(FP), R8
mloop8:
	CMPQ CX, $8
	JL   mtail
	VMOVUPS (SI), Y4
	VMOVUPS (R8), Y0
	VFMADD231PS (DX), Y4, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, R8
	SUBQ $8, CX
	JMP  mloop8
mtail:
	CMPQ CX, $0
	JE   mdone
	VMOVSS (SI), X4
	VMOVSS (R8), X0
	VFMADD231SS (DX), X4, X0
	VMOVSS X0, (DI)
	ADDQ $4, DI
	ADDQ $4, SI
	ADDQ $4, DX
	ADDQ $4, R8
	DECQ CX
	JMP  mtail
mdone:
	VZEROUPPER
	RET

// func axpy4AVX2(c0, c1, c2, c3, b []float32, a0, a1, a2, a3 float32)
// cR[j] += aR * b[j] for the four rows R and j < len(c0); the pure-Go GEMM's inner step.
TEXT ·axpy4AVX2(SB), NOSPLIT, $0-136
	MOVQ c0_base+0(FP), DI
	MOVQ c0_len+8(FP), CX
	MOVQ c1_base+24(FP), R8
	MOVQ c2_base+48(FP), R9
	MOVQ c3_base+72(FP), R10
	MOVQ b_base+96(FP), SI
	VBROADCASTSS a0+120(FP), Y0
	VBROADCASTSS a1+124(FP), Y1
	VBROADCASTSS a2+128(FP), Y2
	VBROADCASTSS a3+132(FP), Y3
aloop8:
	CMPQ CX, $8
	JL   atail
	VMOVUPS (SI), Y4
	VMOVUPS (DI), Y5
	VFMADD231PS Y4, Y0, Y5
	VMOVUPS Y5, (DI)
	VMOVUPS (R8), Y6
	VFMADD231PS Y4, Y1, Y6
	VMOVUPS Y6, (R8)
	VMOVUPS (R9), Y7
	VFMADD231PS Y4, Y2, Y7
	VMOVUPS Y7, (R9)
	VMOVUPS (R10), Y8
	VFMADD231PS Y4, Y3, Y8
	VMOVUPS Y8, (R10)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, R10
	SUBQ $8, CX
	JMP  aloop8
atail:
	CMPQ CX, $0
	JE   adone
	VMOVSS (SI), X4
	VMOVSS (DI), X5
	VFMADD231SS X4, X0, X5
	VMOVSS X5, (DI)
	VMOVSS (R8), X6
	VFMADD231SS X4, X1, X6
	VMOVSS X6, (R8)
	VMOVSS (R9), X7
	VFMADD231SS X4, X2, X7
	VMOVSS X7, (R9)
	VMOVSS (R10), X8
	VFMADD231SS X4, X3, X8
	VMOVSS X8, (R10)
	ADDQ $4, SI
	ADDQ $4, DI
	ADDQ $4, R8
	ADDQ $4, R9
	ADDQ $4, R10
	DECQ CX
	JMP  atail
adone:
	VZEROUPPER
	RET
