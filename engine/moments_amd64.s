#include "textflag.h"

// Per-channel sums for batch norm over 8 channels of channels-last rows, in float64 like the Go
// loops in batchnorm.go; two rows at a time into separate accumulators (Y8-Y11, Y12-Y15).

// func momentsAVX2(x []float32, stride, rows int, a, b *[8]float64)
// a[c] += Σ_r x[r·stride+c], b[c] += Σ_r x[r·stride+c]² for c < 8, r < rows.
TEXT ·momentsAVX2(SB), NOSPLIT, $0-56
	MOVQ x_base+0(FP), SI
	MOVQ stride+24(FP), BX
	SHLQ $2, BX
	MOVQ rows+32(FP), CX
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15
pair:
	CMPQ CX, $2
	JL   single
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VADDPD Y0, Y8, Y8
	VADDPD Y1, Y9, Y9
	VFMADD231PD Y0, Y0, Y10
	VFMADD231PD Y1, Y1, Y11
	ADDQ BX, SI
	VCVTPS2PD (SI), Y2
	VCVTPS2PD 16(SI), Y3
	VADDPD Y2, Y12, Y12
	VADDPD Y3, Y13, Y13
	VFMADD231PD Y2, Y2, Y14
	VFMADD231PD Y3, Y3, Y15
	ADDQ BX, SI
	SUBQ $2, CX
	JMP  pair
single:
	CMPQ CX, $0
	JE   store
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VADDPD Y0, Y8, Y8
	VADDPD Y1, Y9, Y9
	VFMADD231PD Y0, Y0, Y10
	VFMADD231PD Y1, Y1, Y11
store:
	MOVQ a+40(FP), DI
	MOVQ b+48(FP), DX
	VADDPD Y12, Y8, Y8
	VADDPD Y13, Y9, Y9
	VADDPD Y14, Y10, Y10
	VADDPD Y15, Y11, Y11
	VADDPD (DI), Y8, Y8
	VADDPD 32(DI), Y9, Y9
	VADDPD (DX), Y10, Y10
	VADDPD 32(DX), Y11, Y11
	VMOVUPD Y8, (DI)
	VMOVUPD Y9, 32(DI)
	VMOVUPD Y10, (DX)
	VMOVUPD Y11, 32(DX)
	VZEROUPPER
	RET

// func momentsGradAVX2(x, g []float32, mean *[8]float32, stride, rows int, a, b *[8]float64)
// a[c] += Σ_r g[r·stride+c], b[c] += Σ_r g[r·stride+c]·(x[r·stride+c]−mean[c]) (the difference
// in float32, as the Go loop) for c < 8, r < rows.
TEXT ·momentsGradAVX2(SB), NOSPLIT, $0-88
	MOVQ x_base+0(FP), SI
	MOVQ g_base+24(FP), DX
	MOVQ mean+48(FP), AX
	VMOVUPS (AX), Y7
	MOVQ stride+56(FP), BX
	SHLQ $2, BX
	MOVQ rows+64(FP), CX
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12
	VXORPD Y13, Y13, Y13
	VXORPD Y14, Y14, Y14
	VXORPD Y15, Y15, Y15
gpair:
	CMPQ CX, $2
	JL   gsingle
	VMOVUPS (SI), Y0
	VSUBPS Y7, Y0, Y0
	VCVTPS2PD X0, Y1
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD X2, Y2
	VCVTPS2PD (DX), Y3
	VCVTPS2PD 16(DX), Y4
	VADDPD Y3, Y8, Y8
	VADDPD Y4, Y9, Y9
	VFMADD231PD Y3, Y1, Y10
	VFMADD231PD Y4, Y2, Y11
	ADDQ BX, SI
	ADDQ BX, DX
	VMOVUPS (SI), Y0
	VSUBPS Y7, Y0, Y0
	VCVTPS2PD X0, Y1
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD X2, Y2
	VCVTPS2PD (DX), Y3
	VCVTPS2PD 16(DX), Y4
	VADDPD Y3, Y12, Y12
	VADDPD Y4, Y13, Y13
	VFMADD231PD Y3, Y1, Y14
	VFMADD231PD Y4, Y2, Y15
	ADDQ BX, SI
	ADDQ BX, DX
	SUBQ $2, CX
	JMP  gpair
gsingle:
	CMPQ CX, $0
	JE   gstore
	VMOVUPS (SI), Y0
	VSUBPS Y7, Y0, Y0
	VCVTPS2PD X0, Y1
	VEXTRACTF128 $1, Y0, X2
	VCVTPS2PD X2, Y2
	VCVTPS2PD (DX), Y3
	VCVTPS2PD 16(DX), Y4
	VADDPD Y3, Y8, Y8
	VADDPD Y4, Y9, Y9
	VFMADD231PD Y3, Y1, Y10
	VFMADD231PD Y4, Y2, Y11
gstore:
	MOVQ a+72(FP), DI
	MOVQ b+80(FP), DX
	VADDPD Y12, Y8, Y8
	VADDPD Y13, Y9, Y9
	VADDPD Y14, Y10, Y10
	VADDPD Y15, Y11, Y11
	VADDPD (DI), Y8, Y8
	VADDPD 32(DI), Y9, Y9
	VADDPD (DX), Y10, Y10
	VADDPD 32(DX), Y11, Y11
	VMOVUPD Y8, (DI)
	VMOVUPD Y9, 32(DI)
	VMOVUPD Y10, (DX)
	VMOVUPD Y11, 32(DX)
	VZEROUPPER
	RET

// BLOCKMASKS sets, from the 32-bit lane mask in AX, K5 and K6 (float32 lanes 0–15, 16–31) and
// K1–K4 (float64 lanes 0–7, …, 24–31).
#define BLOCKMASKS \
	MOVL AX, R8; \
	KMOVW R8, K5; \
	SHRL $16, R8; \
	KMOVW R8, K6; \
	MOVL AX, R8; \
	ANDL $0xff, R8; \
	KMOVW R8, K1; \
	MOVL AX, R8; \
	SHRL $8, R8; \
	ANDL $0xff, R8; \
	KMOVW R8, K2; \
	MOVL AX, R8; \
	SHRL $16, R8; \
	ANDL $0xff, R8; \
	KMOVW R8, K3; \
	MOVL AX, R8; \
	SHRL $24, R8; \
	KMOVW R8, K4

// ADDSUMS adds the second set of sums to the first and both to a (DI) and b (DX), 8 doubles a
// register, under the masks K1–K4.
#define ADDSUMS \
	VADDPD Z16, Z8, Z8; \
	VADDPD Z17, Z9, Z9; \
	VADDPD Z18, Z10, Z10; \
	VADDPD Z19, Z11, Z11; \
	VADDPD Z20, Z12, Z12; \
	VADDPD Z21, Z13, Z13; \
	VADDPD Z22, Z14, Z14; \
	VADDPD Z23, Z15, Z15; \
	VADDPD (DI), Z8, K1, Z8; \
	VADDPD 64(DI), Z9, K2, Z9; \
	VADDPD 128(DI), Z10, K3, Z10; \
	VADDPD 192(DI), Z11, K4, Z11; \
	VADDPD (DX), Z12, K1, Z12; \
	VADDPD 64(DX), Z13, K2, Z13; \
	VADDPD 128(DX), Z14, K3, Z14; \
	VADDPD 192(DX), Z15, K4, Z15; \
	VMOVUPD Z8, K1, (DI); \
	VMOVUPD Z9, K2, 64(DI); \
	VMOVUPD Z10, K3, 128(DI); \
	VMOVUPD Z11, K4, 192(DI); \
	VMOVUPD Z12, K1, (DX); \
	VMOVUPD Z13, K2, 64(DX); \
	VMOVUPD Z14, K3, 128(DX); \
	VMOVUPD Z15, K4, 192(DX)

// MOMROW adds one row of a 32-channel block to a set of sums: a0–a3 += x, b0–b3 += x² (x as float64).
#define MOMROW(a0, a1, a2, a3, b0, b1, b2, b3) \
	VCVTPS2PD.Z (SI), K1, Z0; \
	VCVTPS2PD.Z 32(SI), K2, Z1; \
	VCVTPS2PD.Z 64(SI), K3, Z2; \
	VCVTPS2PD.Z 96(SI), K4, Z3; \
	VADDPD Z0, a0, a0; \
	VADDPD Z1, a1, a1; \
	VADDPD Z2, a2, a2; \
	VADDPD Z3, a3, a3; \
	VFMADD231PD Z0, Z0, b0; \
	VFMADD231PD Z1, Z1, b1; \
	VFMADD231PD Z2, Z2, b2; \
	VFMADD231PD Z3, Z3, b3; \
	ADDQ BX, SI

// MOMGRADROW adds one row to the gradient's sums: a0–a3 += g, b0–b3 += g·(x − mean), the difference
// in float32 (mean in Z30, Z31).
#define MOMGRADROW(a0, a1, a2, a3, b0, b1, b2, b3) \
	VMOVUPS.Z (SI), K5, Z0; \
	VSUBPS Z30, Z0, Z0; \
	VMOVUPS.Z 64(SI), K6, Z1; \
	VSUBPS Z31, Z1, Z1; \
	VCVTPS2PD Y0, Z2; \
	VEXTRACTF64X4 $1, Z0, Y3; \
	VCVTPS2PD Y3, Z3; \
	VCVTPS2PD Y1, Z4; \
	VEXTRACTF64X4 $1, Z1, Y5; \
	VCVTPS2PD Y5, Z5; \
	VCVTPS2PD.Z (DX), K1, Z6; \
	VCVTPS2PD.Z 32(DX), K2, Z7; \
	VCVTPS2PD.Z 64(DX), K3, Z24; \
	VCVTPS2PD.Z 96(DX), K4, Z25; \
	VADDPD Z6, a0, a0; \
	VADDPD Z7, a1, a1; \
	VADDPD Z24, a2, a2; \
	VADDPD Z25, a3, a3; \
	VFMADD231PD Z6, Z2, b0; \
	VFMADD231PD Z7, Z3, b1; \
	VFMADD231PD Z24, Z4, b2; \
	VFMADD231PD Z25, Z5, b3; \
	ADDQ BX, SI; \
	ADDQ BX, DX

// The same sums over a block of up to 32 channels (the lanes whose bit is set in mask), AVX-512:
// one pass over the rows reads each row's block whole, where the AVX2 loops read 8 channels per
// pass. Same accumulators and order as the AVX2 loops (two rows at a time into two sets, added at
// the end), so the same bits.

// func moments32AVX512(x *float32, stride, rows int, a, b *float64, mask uint32)
TEXT ·moments32AVX512(SB), NOSPLIT, $0-44
	MOVQ x+0(FP), SI
	MOVQ stride+8(FP), BX
	SHLQ $2, BX
	MOVQ rows+16(FP), CX
	MOVL mask+40(FP), AX
	BLOCKMASKS
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	VPXORQ Z20, Z20, Z20
	VPXORQ Z21, Z21, Z21
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23
m5pair:
	CMPQ CX, $2
	JL   m5single
	MOMROW(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	MOMROW(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	SUBQ $2, CX
	JMP  m5pair
m5single:
	CMPQ CX, $0
	JE   m5store
	MOMROW(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
m5store:
	MOVQ a+24(FP), DI
	MOVQ b+32(FP), DX
	ADDSUMS
	VZEROUPPER
	RET

// func momentsGrad32AVX512(x, grad, mean *float32, stride, rows int, a, b *float64, mask uint32)
TEXT ·momentsGrad32AVX512(SB), NOSPLIT, $0-60
	MOVQ x+0(FP), SI
	MOVQ grad+8(FP), DX
	MOVQ stride+24(FP), BX
	SHLQ $2, BX
	MOVQ rows+32(FP), CX
	MOVL mask+56(FP), AX
	BLOCKMASKS
	MOVQ mean+16(FP), AX
	VMOVUPS.Z (AX), K5, Z30
	VMOVUPS.Z 64(AX), K6, Z31
	VPXORQ Z8, Z8, Z8
	VPXORQ Z9, Z9, Z9
	VPXORQ Z10, Z10, Z10
	VPXORQ Z11, Z11, Z11
	VPXORQ Z12, Z12, Z12
	VPXORQ Z13, Z13, Z13
	VPXORQ Z14, Z14, Z14
	VPXORQ Z15, Z15, Z15
	VPXORQ Z16, Z16, Z16
	VPXORQ Z17, Z17, Z17
	VPXORQ Z18, Z18, Z18
	VPXORQ Z19, Z19, Z19
	VPXORQ Z20, Z20, Z20
	VPXORQ Z21, Z21, Z21
	VPXORQ Z22, Z22, Z22
	VPXORQ Z23, Z23, Z23
g5pair:
	CMPQ CX, $2
	JL   g5single
	MOMGRADROW(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
	MOMGRADROW(Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23)
	SUBQ $2, CX
	JMP  g5pair
g5single:
	CMPQ CX, $0
	JE   g5store
	MOMGRADROW(Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15)
g5store:
	MOVQ a+40(FP), DI
	MOVQ b+48(FP), DX
	ADDSUMS
	VZEROUPPER
	RET

// func affine32AVX512(dst, x, grad *float32, stride, rows int, m, a, b *float32, mask uint32)
// For a block of up to 32 channels (the lanes whose bit is set in mask) of rows rows, stride floats
// apart: dst = x·m + a when grad is nil (batch norm's forward affine); else dst = x·a + (grad·m + b),
// two fused multiply-adds in that order (its gradient), as the AVX2 loops compute them.
TEXT ·affine32AVX512(SB), NOSPLIT, $0-68
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ grad+16(FP), DX
	MOVQ stride+24(FP), BX
	SHLQ $2, BX
	MOVQ rows+32(FP), CX
	MOVL mask+64(FP), AX
	KMOVW AX, K1
	SHRL $16, AX
	KMOVW AX, K2
	MOVQ m+40(FP), AX
	VMOVUPS.Z (AX), K1, Z20
	VMOVUPS.Z 64(AX), K2, Z21
	MOVQ a+48(FP), AX
	VMOVUPS.Z (AX), K1, Z22
	VMOVUPS.Z 64(AX), K2, Z23
	MOVQ b+56(FP), AX
	VMOVUPS.Z (AX), K1, Z24
	VMOVUPS.Z 64(AX), K2, Z25
	TESTQ DX, DX
	JNZ   agrad

afwd:
	TESTQ CX, CX
	JZ    adone
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z 64(SI), K2, Z1
	VFMADD213PS Z22, Z20, Z0
	VFMADD213PS Z23, Z21, Z1
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K2, 64(DI)
	ADDQ BX, SI
	ADDQ BX, DI
	DECQ CX
	JMP  afwd

agrad:
	TESTQ CX, CX
	JZ    adone
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS.Z 64(DX), K2, Z1
	VFMADD213PS Z24, Z20, Z0
	VFMADD213PS Z25, Z21, Z1
	VMOVUPS.Z (SI), K1, Z2
	VMOVUPS.Z 64(SI), K2, Z3
	VFMADD231PS Z22, Z2, Z0
	VFMADD231PS Z23, Z3, Z1
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K2, 64(DI)
	ADDQ BX, SI
	ADDQ BX, DX
	ADDQ BX, DI
	DECQ CX
	JMP  agrad

adone:
	VZEROUPPER
	RET
