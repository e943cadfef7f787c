#include "textflag.h"

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
