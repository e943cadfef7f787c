#include "textflag.h"
#include "tapkernels_amd64.h"

// FMAROW2 multiplies one tile row's A element (broadcast into t) by the two B vectors Y12, Y13.
#define FMAROW2(addr, t, acc0, acc1) \
	VBROADCASTSS addr, t; \
	VFMADD231PS t, Y12, acc0; \
	VFMADD231PS t, Y13, acc1

// STOREROW2 stores one tile row under the column masks Y12, Y13 and steps to the next (DX bytes).
#define STOREROW2(ptr, acc0, acc1) \
	VMASKMOVPS acc0, Y12, (ptr); \
	VMASKMOVPS acc1, Y13, 32(ptr); \
	ADDQ DX, ptr

// ADDSTOREROW2 is STOREROW2 adding the row already there.
#define ADDSTOREROW2(ptr, acc0, acc1) \
	VMASKMOVPS (ptr), Y12, Y14; \
	VADDPS Y14, acc0, acc0; \
	VMASKMOVPS 32(ptr), Y13, Y15; \
	VADDPS Y15, acc1, acc1; \
	STOREROW2(ptr, acc0, acc1)

#define ZERO12 \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11

// The tap-convolution kernels of tapgemm_amd64.s for CPUs with AVX2 and FMA but not AVX-512:
// a 6-output × 16-channel tile in 12 of the 16 ymm registers. B is read whole 16 columns at a time
// (the caller pads its columns to a multiple of 16); the tile's columns past the last are left out
// of the stores by the lane mask (16 int32, all ones for a kept column).

// func tapGemmRows6x16AVX2(a *float32, rowOffs *int, taps *int, ntaps, kpt int, b *float32, ldb int,
//	c *float32, ldc int, mask *int32)
TEXT ·tapGemmRows6x16AVX2(SB), NOSPLIT, $24-80
	MOVQ rowOffs+8(FP), SI
	MOVQ 0(SI), R8
	MOVQ 8(SI), R9
	MOVQ 16(SI), R10
	MOVQ 24(SI), R11
	MOVQ 32(SI), R12
	MOVQ 40(SI), R13
	MOVQ taps+16(FP), SI
	MOVQ SI, tapp-8(SP)
	MOVQ ntaps+24(FP), SI
	MOVQ SI, tapn-16(SP)
	MOVQ b+40(FP), BX
	MOVQ ldb+48(FP), R14
	ZERO12
	CMPQ tapn-16(SP), $0
	JEQ  r2store

r2tap:
	MOVQ kpt+32(FP), SI
	IMULQ R14, SI
	ADDQ BX, SI
	MOVQ SI, bend-24(SP)
	MOVQ tapp-8(SP), SI
	MOVQ (SI), SI
	ADDQ a+0(FP), SI
	CMPQ BX, bend-24(SP)
	JEQ  r2next

r2k:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	ADDQ R14, BX
	FMAROW2((SI)(R8*1), Y14, Y0, Y1)
	FMAROW2((SI)(R9*1), Y15, Y2, Y3)
	FMAROW2((SI)(R10*1), Y14, Y4, Y5)
	FMAROW2((SI)(R11*1), Y15, Y6, Y7)
	FMAROW2((SI)(R12*1), Y14, Y8, Y9)
	FMAROW2((SI)(R13*1), Y15, Y10, Y11)
	ADDQ $4, SI
	CMPQ BX, bend-24(SP)
	JNE  r2k

r2next:
	ADDQ $8, tapp-8(SP)
	DECQ tapn-16(SP)
	JNZ  r2tap

r2store:
	MOVQ mask+72(FP), AX
	VMOVDQU (AX), Y12
	VMOVDQU 32(AX), Y13
	MOVQ c+56(FP), DI
	MOVQ ldc+64(FP), DX
	STOREROW2(DI, Y0, Y1)
	STOREROW2(DI, Y2, Y3)
	STOREROW2(DI, Y4, Y5)
	STOREROW2(DI, Y6, Y7)
	STOREROW2(DI, Y8, Y9)
	STOREROW2(DI, Y10, Y11)
	VZEROUPPER
	RET

// func tapGemm6x16AVX2(a *float32, taps *int, ntaps, kpt, lda, kstep int, b *float32, ldb int,
//	c *float32, ldc int, mask *int32, accumulate int)
TEXT ·tapGemm6x16AVX2(SB), NOSPLIT, $0-96
	MOVQ a+0(FP), AX
	MOVQ taps+8(FP), SI
	MOVQ ntaps+16(FP), DI
	MOVQ lda+32(FP), DX
	MOVQ kstep+40(FP), R12
	MOVQ b+48(FP), BX
	MOVQ ldb+56(FP), R14
	ZERO12
	TESTQ DI, DI
	JZ    s2store

s2tap:
	MOVQ AX, R8
	ADDQ (SI), R8
	LEAQ (R8)(DX*2), R9
	ADDQ DX, R9
	MOVQ kpt+24(FP), CX
	TESTQ CX, CX
	JZ    s2next

s2k:
	VMOVUPS (BX), Y12
	VMOVUPS 32(BX), Y13
	ADDQ R14, BX
	FMAROW2((R8), Y14, Y0, Y1)
	FMAROW2((R8)(DX*1), Y15, Y2, Y3)
	FMAROW2((R8)(DX*2), Y14, Y4, Y5)
	FMAROW2((R9), Y15, Y6, Y7)
	FMAROW2((R9)(DX*1), Y14, Y8, Y9)
	FMAROW2((R9)(DX*2), Y15, Y10, Y11)
	ADDQ R12, R8
	ADDQ R12, R9
	DECQ CX
	JNZ  s2k

s2next:
	ADDQ $8, SI
	DECQ DI
	JNZ  s2tap

s2store:
	MOVQ mask+80(FP), AX
	VMOVDQU (AX), Y12
	VMOVDQU 32(AX), Y13
	MOVQ c+64(FP), R15
	MOVQ ldc+72(FP), DX
	MOVQ accumulate+88(FP), CX
	TESTQ CX, CX
	JNZ   s2acc
	STOREROW2(R15, Y0, Y1)
	STOREROW2(R15, Y2, Y3)
	STOREROW2(R15, Y4, Y5)
	STOREROW2(R15, Y6, Y7)
	STOREROW2(R15, Y8, Y9)
	STOREROW2(R15, Y10, Y11)
	VZEROUPPER
	RET

s2acc:
	ADDSTOREROW2(R15, Y0, Y1)
	ADDSTOREROW2(R15, Y2, Y3)
	ADDSTOREROW2(R15, Y4, Y5)
	ADDSTOREROW2(R15, Y6, Y7)
	ADDSTOREROW2(R15, Y8, Y9)
	ADDSTOREROW2(R15, Y10, Y11)
	VZEROUPPER
	RET

// The depthwise kernels for AVX2: a tile of 12 outputs × 8 channels in Y0–Y11, each row its own
// input pixel times the tap's weights, lane by lane. The mask (8 int32 from Y15) keeps the channels
// that exist; a whole block of 8 reads its operands straight from memory, a partial one through
// masked loads, which never touch the lanes left out (the next pixel's channels, or past the buffer).

// DWROWM is one row's multiply-add through a masked load of its pixel.
#define DWROWM(addr, t, acc) \
	VMASKMOVPS addr, Y15, t; \
	VFMADD231PS t, Y12, acc

#define DWSTORE(acc) \
	VMOVUPS acc, (R15); \
	ADDQ    DX, R15

#define DWSTOREM(acc) \
	VMASKMOVPS acc, Y15, (R15); \
	ADDQ       DX, R15

// func tapDepthwise12x8AVX2(a *float32, taps *int, ntaps, lda int, w *float32, wstride int,
//	c *float32, ldc int, mask *int32, full int)
TEXT ·tapDepthwise12x8AVX2(SB), NOSPLIT, $0-80
	MOVQ a+0(FP), AX
	MOVQ taps+8(FP), SI
	MOVQ ntaps+16(FP), DI
	MOVQ lda+24(FP), DX
	MOVQ w+32(FP), BX
	MOVQ wstride+40(FP), R14
	MOVQ mask+64(FP), CX
	VMOVDQU (CX), Y15
	MOVQ full+72(FP), CX
	ZERO12
	TESTQ DI, DI
	JZ    dw8store
	TESTQ CX, CX
	JZ    dw8mtap

dw8tap:
	ROWBASES
	VMOVUPS (BX), Y12
	ADDQ R14, BX
	VFMADD231PS (R8), Y12, Y0
	VFMADD231PS (R8)(DX*1), Y12, Y1
	VFMADD231PS (R8)(DX*2), Y12, Y2
	VFMADD231PS (R9), Y12, Y3
	VFMADD231PS (R9)(DX*1), Y12, Y4
	VFMADD231PS (R9)(DX*2), Y12, Y5
	VFMADD231PS (R10), Y12, Y6
	VFMADD231PS (R10)(DX*1), Y12, Y7
	VFMADD231PS (R10)(DX*2), Y12, Y8
	VFMADD231PS (R11), Y12, Y9
	VFMADD231PS (R11)(DX*1), Y12, Y10
	VFMADD231PS (R11)(DX*2), Y12, Y11
	ADDQ $8, SI
	DECQ DI
	JNZ  dw8tap
	JMP  dw8store

dw8mtap:
	ROWBASES
	VMASKMOVPS (BX), Y15, Y12
	ADDQ R14, BX
	DWROWM((R8), Y13, Y0)
	DWROWM((R8)(DX*1), Y14, Y1)
	DWROWM((R8)(DX*2), Y13, Y2)
	DWROWM((R9), Y14, Y3)
	DWROWM((R9)(DX*1), Y13, Y4)
	DWROWM((R9)(DX*2), Y14, Y5)
	DWROWM((R10), Y13, Y6)
	DWROWM((R10)(DX*1), Y14, Y7)
	DWROWM((R10)(DX*2), Y13, Y8)
	DWROWM((R11), Y14, Y9)
	DWROWM((R11)(DX*1), Y13, Y10)
	DWROWM((R11)(DX*2), Y14, Y11)
	ADDQ $8, SI
	DECQ DI
	JNZ  dw8mtap

dw8store:
	MOVQ c+48(FP), R15
	MOVQ ldc+56(FP), DX
	TESTQ CX, CX
	JZ    dw8mstore
	DWSTORE(Y0)
	DWSTORE(Y1)
	DWSTORE(Y2)
	DWSTORE(Y3)
	DWSTORE(Y4)
	DWSTORE(Y5)
	DWSTORE(Y6)
	DWSTORE(Y7)
	DWSTORE(Y8)
	DWSTORE(Y9)
	DWSTORE(Y10)
	DWSTORE(Y11)
	VZEROUPPER
	RET

dw8mstore:
	DWSTOREM(Y0)
	DWSTOREM(Y1)
	DWSTOREM(Y2)
	DWSTOREM(Y3)
	DWSTOREM(Y4)
	DWSTOREM(Y5)
	DWSTOREM(Y6)
	DWSTOREM(Y7)
	DWSTOREM(Y8)
	DWSTOREM(Y9)
	DWSTOREM(Y10)
	DWSTOREM(Y11)
	VZEROUPPER
	RET

// func tapDot8AVX2(p, q *float32, rows, stride int, dst *float32, mask *int32, full, accumulate int)
// dst[0:8] (+)= Σ_{r<rows} p[r·stride + 0:8] ⊙ q[r·stride + 0:8] (stride in bytes), the lanes the
// mask keeps: a whole block reads q straight from memory, a partial one both through masked loads.
// Four accumulators (four rows at a time) hide the multiply-add latency.
TEXT ·tapDot8AVX2(SB), NOSPLIT, $0-64
	MOVQ p+0(FP), SI
	MOVQ q+8(FP), DI
	MOVQ rows+16(FP), CX
	MOVQ stride+24(FP), DX
	MOVQ mask+40(FP), R8
	VMOVDQU (R8), Y15
	MOVQ full+48(FP), R11
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ R11, R11
	JZ    dot8mx4

dot8x4:
	CMPQ CX, $4
	JL   dot8x1
	LEAQ (SI)(DX*2), R9
	LEAQ (DI)(DX*2), R10
	VMOVUPS (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	VMOVUPS (SI)(DX*1), Y5
	VFMADD231PS (DI)(DX*1), Y5, Y1
	VMOVUPS (R9), Y6
	VFMADD231PS (R10), Y6, Y2
	VMOVUPS (R9)(DX*1), Y7
	VFMADD231PS (R10)(DX*1), Y7, Y3
	LEAQ (SI)(DX*4), SI
	LEAQ (DI)(DX*4), DI
	SUBQ $4, CX
	JMP  dot8x4

dot8mx4:
	CMPQ CX, $4
	JL   dot8x1
	LEAQ (SI)(DX*2), R9
	LEAQ (DI)(DX*2), R10
	VMASKMOVPS (SI), Y15, Y4
	VMASKMOVPS (DI), Y15, Y5
	VFMADD231PS Y5, Y4, Y0
	VMASKMOVPS (SI)(DX*1), Y15, Y6
	VMASKMOVPS (DI)(DX*1), Y15, Y7
	VFMADD231PS Y7, Y6, Y1
	VMASKMOVPS (R9), Y15, Y8
	VMASKMOVPS (R10), Y15, Y9
	VFMADD231PS Y9, Y8, Y2
	VMASKMOVPS (R9)(DX*1), Y15, Y10
	VMASKMOVPS (R10)(DX*1), Y15, Y11
	VFMADD231PS Y11, Y10, Y3
	LEAQ (SI)(DX*4), SI
	LEAQ (DI)(DX*4), DI
	SUBQ $4, CX
	JMP  dot8mx4

dot8x1:
	TESTQ CX, CX
	JZ    dot8sum
	VMASKMOVPS (SI), Y15, Y4
	VMASKMOVPS (DI), Y15, Y5
	VFMADD231PS Y5, Y4, Y0
	ADDQ DX, SI
	ADDQ DX, DI
	DECQ CX
	JMP  dot8x1

dot8sum:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	MOVQ dst+32(FP), R8
	MOVQ accumulate+56(FP), CX
	TESTQ CX, CX
	JZ    dot8store
	VMASKMOVPS (R8), Y15, Y4
	VADDPS Y4, Y0, Y0

dot8store:
	VMASKMOVPS Y0, Y15, (R8)
	VZEROUPPER
	RET
