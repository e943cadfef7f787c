// Macros shared by the tap kernels of tapgemm_amd64.s (AVX-512) and tapgemm_avx2_amd64.s.

// ROWBASES points R8, R9, R10, R11 at rows 0, 3, 6, 9 of the tile for the tap at (SI): a + tap +
// row·lda, with a in AX and lda in DX.
#define ROWBASES \
	MOVQ AX, R8; \
	ADDQ (SI), R8; \
	LEAQ (R8)(DX*2), R9; \
	ADDQ DX, R9; \
	LEAQ (R9)(DX*2), R10; \
	ADDQ DX, R10; \
	LEAQ (R10)(DX*2), R11; \
	ADDQ DX, R11
