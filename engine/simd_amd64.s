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
