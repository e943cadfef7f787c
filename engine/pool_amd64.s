#include "textflag.h"

// Max pooling over 2×2 windows with stride 2, channels last: one output row of nx pixels per call.
// The input row pair starts at in (row y at in, row y+1 rowStride bytes on); output pixel x reads
// input pixels 2x and 2x+1 of both rows, c channels each, 16 at a time with a lane mask for the rest.

// func maxPool2x2AVX512(in *float32, rowStride, c, nx int, dst *float32)
TEXT ·maxPool2x2AVX512(SB), NOSPLIT, $0-40
	MOVQ in+0(FP), SI
	MOVQ rowStride+8(FP), DX
	MOVQ c+16(FP), R8
	SHLQ $2, R8
	MOVQ nx+24(FP), R10
	MOVQ dst+32(FP), DI

fxloop:
	TESTQ R10, R10
	JZ    fdone
	XORQ  R11, R11
	MOVQ  c+16(FP), CX
	LEAQ  (SI)(R8*1), R12
	LEAQ  (SI)(DX*1), R13
	LEAQ  (R13)(R8*1), R14

fchloop:
	CMPQ    CX, $16
	JL      fchtail
	VMOVUPS (SI)(R11*1), Z0
	VMAXPS  (R12)(R11*1), Z0, Z0
	VMOVUPS (R13)(R11*1), Z1
	VMAXPS  (R14)(R11*1), Z1, Z1
	VMAXPS  Z1, Z0, Z0
	VMOVUPS Z0, (DI)(R11*1)
	ADDQ    $64, R11
	SUBQ    $16, CX
	JMP     fchloop

fchtail:
	TESTQ     CX, CX
	JZ        fnextx
	MOVQ      $1, AX
	SHLQ      CX, AX
	DECQ      AX
	KMOVW     AX, K1
	VMOVUPS.Z (SI)(R11*1), K1, Z0
	VMOVUPS.Z (R12)(R11*1), K1, Z2
	VMAXPS    Z2, Z0, Z0
	VMOVUPS.Z (R13)(R11*1), K1, Z1
	VMOVUPS.Z (R14)(R11*1), K1, Z3
	VMAXPS    Z3, Z1, Z1
	VMAXPS    Z1, Z0, Z0
	VMOVUPS   Z0, K1, (DI)(R11*1)

fnextx:
	LEAQ (SI)(R8*2), SI
	ADDQ R8, DI
	DECQ R10
	JMP  fxloop

fdone:
	VZEROUPPER
	RET

// One 16-lane chunk of the gradient: Z0–Z3 the window's four inputs in scan order, Z4 the source
// (incoming gradient), K7 the lanes to write. Each lane's source goes to the first input equal to
// the window's maximum (the first maximum, as the generic select-and-scatter with ≥), zero to the
// other three. AX, BX, R9, DI hold the four inputs' addresses; R15 is out − in.
#define GRADCHUNK \
	VMAXPS    Z1, Z0, Z5; \
	VMAXPS    Z3, Z2, Z6; \
	VMAXPS    Z6, Z5, Z5; \
	VCMPPS    $0, Z5, Z0, K7, K1; \
	VCMPPS    $0, Z5, Z1, K7, K2; \
	KANDNW    K2, K1, K2; \
	KORW      K1, K2, K5; \
	VCMPPS    $0, Z5, Z2, K7, K3; \
	KANDNW    K3, K5, K3; \
	KORW      K5, K3, K5; \
	KANDNW    K7, K5, K4; \
	VMOVUPS.Z Z4, K1, Z0; \
	VMOVUPS.Z Z4, K2, Z1; \
	VMOVUPS.Z Z4, K3, Z2; \
	VMOVUPS.Z Z4, K4, Z3; \
	VMOVUPS   Z0, K7, (AX)(R15*1); \
	VMOVUPS   Z1, K7, (BX)(R15*1); \
	VMOVUPS   Z2, K7, (R9)(R15*1); \
	VMOVUPS   Z3, K7, (DI)(R15*1)

// func maxPool2x2GradAVX512(in *float32, rowStride, c, nx int, src *float32, delta int)
// Writes the gradient of one output row's windows into out = in + delta bytes (out has in's layout).
TEXT ·maxPool2x2GradAVX512(SB), NOSPLIT, $0-48
	MOVQ in+0(FP), SI
	MOVQ rowStride+8(FP), DX
	MOVQ c+16(FP), R8
	SHLQ $2, R8
	MOVQ nx+24(FP), R10
	MOVQ src+32(FP), R14
	MOVQ delta+40(FP), R15

gxloop:
	TESTQ R10, R10
	JZ    gdone
	MOVQ  c+16(FP), CX
	MOVQ  SI, AX
	LEAQ  (SI)(R8*1), BX
	LEAQ  (SI)(DX*1), R9
	LEAQ  (R9)(R8*1), DI
	MOVQ  R14, R12

gchloop:
	CMPQ    CX, $0
	JLE     gnextx
	MOVQ    $0xffff, R11
	CMPQ    CX, $16
	JGE     gfull
	MOVQ    $1, R11
	SHLQ    CX, R11
	DECQ    R11

gfull:
	KMOVW     R11, K7
	VMOVUPS.Z (AX), K7, Z0
	VMOVUPS.Z (BX), K7, Z1
	VMOVUPS.Z (R9), K7, Z2
	VMOVUPS.Z (DI), K7, Z3
	VMOVUPS.Z (R12), K7, Z4
	GRADCHUNK
	ADDQ      $64, AX
	ADDQ      $64, BX
	ADDQ      $64, R9
	ADDQ      $64, DI
	ADDQ      $64, R12
	SUBQ      $16, CX
	JMP       gchloop

gnextx:
	LEAQ (SI)(R8*2), SI
	ADDQ R8, R14
	DECQ R10
	JMP  gxloop

gdone:
	VZEROUPPER
	RET
