#include "textflag.h"
#include "tapkernels_amd64.h"

// ZERO24 clears the 24 accumulators of a 12×32 tile.
#define ZERO24 \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23

// Row r of the 12-row tile reads A at base + r·lda: four base registers (rows 0, 3, 6, 9) and the
// stride DX reach all twelve with the addressing modes (base), (base)(DX*1), (base)(DX*2).
#define FMAROW(addr, t, acc0, acc1) \
	VBROADCASTSS addr, t; \
	VFMADD231PS t, Z24, acc0; \
	VFMADD231PS t, Z25, acc1

#define STOREROW(acc0, acc1) \
	VMOVUPS acc0, K1, (R15); \
	VMOVUPS acc1, K2, 64(R15); \
	ADDQ    DX, R15

#define ADDSTOREROW(acc0, acc1) \
	VADDPS  (R15), acc0, K1, acc0; \
	VADDPS  64(R15), acc1, K2, acc1; \
	VMOVUPS acc0, K1, (R15); \
	VMOVUPS acc1, K2, 64(R15); \
	ADDQ    DX, R15

// STORE24 stores the 24 accumulators as 12 rows from R15 on, DX bytes apart.
#define STORE24 \
	STOREROW(Z0, Z1); \
	STOREROW(Z2, Z3); \
	STOREROW(Z4, Z5); \
	STOREROW(Z6, Z7); \
	STOREROW(Z8, Z9); \
	STOREROW(Z10, Z11); \
	STOREROW(Z12, Z13); \
	STOREROW(Z14, Z15); \
	STOREROW(Z16, Z17); \
	STOREROW(Z18, Z19); \
	STOREROW(Z20, Z21); \
	STOREROW(Z22, Z23)

// func tapGemm12x32AVX512(a *float32, taps *int, ntaps, kpt, lda, kstep int, b *float32, ldb int,
//	c *float32, ldc int, mask0, mask1 uint16, accumulate int)
TEXT ·tapGemm12x32AVX512(SB), NOSPLIT, $0-96
	MOVQ a+0(FP), AX
	MOVQ taps+8(FP), SI
	MOVQ ntaps+16(FP), DI
	MOVQ lda+32(FP), DX
	MOVQ kstep+40(FP), R12
	MOVQ b+48(FP), BX
	MOVQ ldb+56(FP), R14
	KMOVW mask0+80(FP), K1
	KMOVW mask1+82(FP), K2
	ZERO24
	TESTQ DI, DI
	JZ    store

tap:
	ROWBASES
	MOVQ kpt+24(FP), CX
	TESTQ CX, CX
	JZ    nexttap

k:
	VMOVUPS.Z (BX), K1, Z24
	VMOVUPS.Z 64(BX), K2, Z25
	ADDQ R14, BX
	FMAROW((R8), Z26, Z0, Z1)
	FMAROW((R8)(DX*1), Z27, Z2, Z3)
	FMAROW((R8)(DX*2), Z28, Z4, Z5)
	FMAROW((R9), Z29, Z6, Z7)
	FMAROW((R9)(DX*1), Z26, Z8, Z9)
	FMAROW((R9)(DX*2), Z27, Z10, Z11)
	FMAROW((R10), Z28, Z12, Z13)
	FMAROW((R10)(DX*1), Z29, Z14, Z15)
	FMAROW((R10)(DX*2), Z26, Z16, Z17)
	FMAROW((R11), Z27, Z18, Z19)
	FMAROW((R11)(DX*1), Z28, Z20, Z21)
	FMAROW((R11)(DX*2), Z29, Z22, Z23)
	ADDQ R12, R8
	ADDQ R12, R9
	ADDQ R12, R10
	ADDQ R12, R11
	DECQ CX
	JNZ  k

nexttap:
	ADDQ $8, SI
	DECQ DI
	JNZ  tap

store:
	MOVQ c+64(FP), R15
	MOVQ ldc+72(FP), DX
	MOVQ accumulate+88(FP), CX
	TESTQ CX, CX
	JNZ   accstore
	STORE24
	VZEROUPPER
	RET

accstore:
	ADDSTOREROW(Z0, Z1)
	ADDSTOREROW(Z2, Z3)
	ADDSTOREROW(Z4, Z5)
	ADDSTOREROW(Z6, Z7)
	ADDSTOREROW(Z8, Z9)
	ADDSTOREROW(Z10, Z11)
	ADDSTOREROW(Z12, Z13)
	ADDSTOREROW(Z14, Z15)
	ADDSTOREROW(Z16, Z17)
	ADDSTOREROW(Z18, Z19)
	ADDSTOREROW(Z20, Z21)
	ADDSTOREROW(Z22, Z23)
	VZEROUPPER
	RET

// Depthwise: row r of the tile multiplies its own input pixel by the tap's weights, lane by lane.
#define DWROW(addr, addr64, acc0, acc1) \
	VFMADD231PS addr, Z24, K1, acc0; \
	VFMADD231PS addr64, Z25, K2, acc1

// func tapDepthwise12x32AVX512(a *float32, taps *int, ntaps, lda int, w *float32, wstride int,
//	c *float32, ldc int, mask0, mask1 uint16)
TEXT ·tapDepthwise12x32AVX512(SB), NOSPLIT, $0-68
	MOVQ a+0(FP), AX
	MOVQ taps+8(FP), SI
	MOVQ ntaps+16(FP), DI
	MOVQ lda+24(FP), DX
	MOVQ w+32(FP), BX
	MOVQ wstride+40(FP), R14
	KMOVW mask0+64(FP), K1
	KMOVW mask1+66(FP), K2
	ZERO24
	TESTQ DI, DI
	JZ    dwstore

dwtap:
	ROWBASES
	VMOVUPS.Z (BX), K1, Z24
	VMOVUPS.Z 64(BX), K2, Z25
	ADDQ R14, BX
	DWROW((R8), 64(R8), Z0, Z1)
	DWROW((R8)(DX*1), 64(R8)(DX*1), Z2, Z3)
	DWROW((R8)(DX*2), 64(R8)(DX*2), Z4, Z5)
	DWROW((R9), 64(R9), Z6, Z7)
	DWROW((R9)(DX*1), 64(R9)(DX*1), Z8, Z9)
	DWROW((R9)(DX*2), 64(R9)(DX*2), Z10, Z11)
	DWROW((R10), 64(R10), Z12, Z13)
	DWROW((R10)(DX*1), 64(R10)(DX*1), Z14, Z15)
	DWROW((R10)(DX*2), 64(R10)(DX*2), Z16, Z17)
	DWROW((R11), 64(R11), Z18, Z19)
	DWROW((R11)(DX*1), 64(R11)(DX*1), Z20, Z21)
	DWROW((R11)(DX*2), 64(R11)(DX*2), Z22, Z23)
	ADDQ $8, SI
	DECQ DI
	JNZ  dwtap

dwstore:
	MOVQ c+48(FP), R15
	MOVQ ldc+56(FP), DX
	STORE24
	VZEROUPPER
	RET

// func tapDot32AVX512(p, q *float32, rows, stride int, dst *float32, mask0, mask1 uint16, accumulate int)
// dst[0:32] (+)= Σ_{r<rows} p[r·stride + 0:32] ⊙ q[r·stride + 0:32] (stride in bytes), the lanes the
// masks keep; eight accumulators (four rows at a time) hide the multiply-add latency.
TEXT ·tapDot32AVX512(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ rows+16(FP), CX
	MOVQ stride+24(FP), DX
	KMOVW mask0+40(FP), K1
	KMOVW mask1+42(FP), K2
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
dot4:
	CMPQ CX, $4
	JL   dot1
	VMOVUPS.Z (DI), K1, Z16
	VMOVUPS.Z 64(DI), K2, Z17
	VMOVUPS.Z (DI)(DX*1), K1, Z18
	VMOVUPS.Z 64(DI)(DX*1), K2, Z19
	VMOVUPS.Z (DI)(DX*2), K1, Z20
	VMOVUPS.Z 64(DI)(DX*2), K2, Z21
	LEAQ (DI)(DX*2), R8
	VMOVUPS.Z (R8)(DX*1), K1, Z22
	VMOVUPS.Z 64(R8)(DX*1), K2, Z23
	VFMADD231PS (SI), Z16, K1, Z0
	VFMADD231PS 64(SI), Z17, K2, Z1
	VFMADD231PS (SI)(DX*1), Z18, K1, Z2
	VFMADD231PS 64(SI)(DX*1), Z19, K2, Z3
	VFMADD231PS (SI)(DX*2), Z20, K1, Z4
	VFMADD231PS 64(SI)(DX*2), Z21, K2, Z5
	LEAQ (SI)(DX*2), R9
	VFMADD231PS (R9)(DX*1), Z22, K1, Z6
	VFMADD231PS 64(R9)(DX*1), Z23, K2, Z7
	LEAQ (DI)(DX*4), DI
	LEAQ (SI)(DX*4), SI
	SUBQ $4, CX
	JMP  dot4
dot1:
	TESTQ CX, CX
	JZ    dotsum
	VMOVUPS.Z (DI), K1, Z16
	VMOVUPS.Z 64(DI), K2, Z17
	VFMADD231PS (SI), Z16, K1, Z0
	VFMADD231PS 64(SI), Z17, K2, Z1
	ADDQ DX, DI
	ADDQ DX, SI
	DECQ CX
	JMP  dot1
dotsum:
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z1, Z1
	VADDPS Z6, Z4, Z4
	VADDPS Z7, Z5, Z5
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z1, Z1
	MOVQ dst+32(FP), R8
	MOVQ accumulate+48(FP), CX
	TESTQ CX, CX
	JZ    dotstore
	VADDPS (R8), Z0, K1, Z0
	VADDPS 64(R8), Z1, K2, Z1
dotstore:
	VMOVUPS Z0, K1, (R8)
	VMOVUPS Z1, K2, 64(R8)
	VZEROUPPER
	RET

// Rows kernel: each of the 12 tile rows reads A at a + rowOffs[i] + tap + k·4; the row offsets live
// in twelve registers, so the k loop advances one pointer (SI) for all rows.
#define FMAROWR(off, t, acc0, acc1) \
	VBROADCASTSS (SI)(off*1), t; \
	VFMADD231PS t, Z24, acc0; \
	VFMADD231PS t, Z25, acc1

#define STOREROWR(acc0, acc1) \
	VMOVUPS acc0, K1, (DI); \
	VMOVUPS acc1, K2, 64(DI); \
	ADDQ    DX, DI

// func tapGemmRows12x32AVX512(a *float32, rowOffs *int, taps *int, ntaps, kpt int, b *float32, ldb int,
//	c *float32, ldc int, mask0, mask1 uint16)
TEXT ·tapGemmRows12x32AVX512(SB), NOSPLIT, $24-76
	MOVQ rowOffs+8(FP), SI
	MOVQ 0(SI), R8
	MOVQ 8(SI), R9
	MOVQ 16(SI), R10
	MOVQ 24(SI), R11
	MOVQ 32(SI), R12
	MOVQ 40(SI), R13
	MOVQ 48(SI), R14
	MOVQ 56(SI), R15
	MOVQ 64(SI), AX
	MOVQ 72(SI), CX
	MOVQ 80(SI), DX
	MOVQ 88(SI), DI
	MOVQ taps+16(FP), SI
	MOVQ SI, tapp-8(SP)
	MOVQ ntaps+24(FP), SI
	MOVQ SI, tapn-16(SP)
	MOVQ b+40(FP), BX
	KMOVW mask0+72(FP), K1
	KMOVW mask1+74(FP), K2
	ZERO24
	CMPQ tapn-16(SP), $0
	JEQ  rstore

rtap:
	// SI = a + taps[t]; the tap's B rows end kpt·ldb bytes after BX.
	MOVQ kpt+32(FP), SI
	IMULQ ldb+48(FP), SI
	ADDQ BX, SI
	MOVQ SI, bend-24(SP)
	MOVQ tapp-8(SP), SI
	MOVQ (SI), SI
	ADDQ a+0(FP), SI
	CMPQ BX, bend-24(SP)
	JEQ  rnexttap

rk:
	VMOVUPS.Z (BX), K1, Z24
	VMOVUPS.Z 64(BX), K2, Z25
	ADDQ ldb+48(FP), BX
	FMAROWR(R8, Z26, Z0, Z1)
	FMAROWR(R9, Z27, Z2, Z3)
	FMAROWR(R10, Z28, Z4, Z5)
	FMAROWR(R11, Z29, Z6, Z7)
	FMAROWR(R12, Z26, Z8, Z9)
	FMAROWR(R13, Z27, Z10, Z11)
	FMAROWR(R14, Z28, Z12, Z13)
	FMAROWR(R15, Z29, Z14, Z15)
	FMAROWR(AX, Z26, Z16, Z17)
	FMAROWR(CX, Z27, Z18, Z19)
	FMAROWR(DX, Z28, Z20, Z21)
	FMAROWR(DI, Z29, Z22, Z23)
	ADDQ $4, SI
	CMPQ BX, bend-24(SP)
	JNE  rk

rnexttap:
	ADDQ $8, tapp-8(SP)
	DECQ tapn-16(SP)
	JNZ  rtap

rstore:
	MOVQ c+56(FP), DI
	MOVQ ldc+64(FP), DX
	STOREROWR(Z0, Z1)
	STOREROWR(Z2, Z3)
	STOREROWR(Z4, Z5)
	STOREROWR(Z6, Z7)
	STOREROWR(Z8, Z9)
	STOREROWR(Z10, Z11)
	STOREROWR(Z12, Z13)
	STOREROWR(Z14, Z15)
	STOREROWR(Z16, Z17)
	STOREROWR(Z18, Z19)
	STOREROWR(Z20, Z21)
	STOREROWR(Z22, Z23)
	VZEROUPPER
	RET
