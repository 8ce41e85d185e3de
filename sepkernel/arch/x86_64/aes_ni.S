/* SPDX-License-Identifier: Apache-2.0 */
/* AES-256 with AES-NI for the kernel's disk sectors (XTS), written from the AES specification
   (FIPS 197) and IEEE 1619. Assembled both into the kernel and into a hosted library for tests
   and benchmarks. The caller saves and restores the SSE state (the guest's, in the kernel):
   these routines use xmm0-xmm5 freely. System V calling convention.

   void sk_aesni_expand256(const uint8_t key[32], uint8_t enc[240], uint8_t dec[240])
     enc: the 15 round keys; dec: the equivalent inverse cipher's (AESIMC of 1..13, reversed).
   void sk_aesni_xts(const uint8_t* enc, const uint8_t* dec, const uint8_t* tweak_enc,
                     uint64_t tweak, uint8_t* data, uint64_t blocks, uint64_t decrypt)
     XTS on blocks * 16 bytes in place: T = E_K2(tweak as 128-bit little-endian); for each
     block C = E/D_K1(P ^ T) ^ T; T = T * x in GF(2^128) (little-endian, polynomial 0x87). */

  .text
  .code64

/* xmm1 = previous even round key, xmm2 = AESKEYGENASSIST result: the next even round key. */
expand_even:
  pshufd $0xff, %xmm2, %xmm2
  movdqa %xmm1, %xmm4
  pslldq $4, %xmm4
  pxor %xmm4, %xmm1
  pslldq $4, %xmm4
  pxor %xmm4, %xmm1
  pslldq $4, %xmm4
  pxor %xmm4, %xmm1
  pxor %xmm2, %xmm1
  ret

/* xmm3 = previous odd round key, xmm1 = the even key just made: the next odd round key. */
expand_odd:
  aeskeygenassist $0, %xmm1, %xmm2
  pshufd $0xaa, %xmm2, %xmm2
  movdqa %xmm3, %xmm4
  pslldq $4, %xmm4
  pxor %xmm4, %xmm3
  pslldq $4, %xmm4
  pxor %xmm4, %xmm3
  pslldq $4, %xmm4
  pxor %xmm4, %xmm3
  pxor %xmm2, %xmm3
  ret

.macro ROUND rcon, offset, last=0
  aeskeygenassist $\rcon, %xmm3, %xmm2
  call expand_even
  movdqu %xmm1, \offset(%rsi)
  .if \last == 0
  call expand_odd
  movdqu %xmm3, \offset+16(%rsi)
  .endif
.endm

  .global sk_aesni_expand256
sk_aesni_expand256:
  movdqu (%rdi), %xmm1
  movdqu 16(%rdi), %xmm3
  movdqu %xmm1, (%rsi)
  movdqu %xmm3, 16(%rsi)
  ROUND 0x01, 32
  ROUND 0x02, 64
  ROUND 0x04, 96
  ROUND 0x08, 128
  ROUND 0x10, 160
  ROUND 0x20, 192
  ROUND 0x40, 224, 1
  /* Decryption keys: dec[0] = enc[14], dec[i] = AESIMC(enc[14 - i]) for 1..13, dec[14] = enc[0]. */
  movdqu 224(%rsi), %xmm0
  movdqu %xmm0, (%rdx)
  mov $1, %rcx
1:
  mov $14, %rax
  sub %rcx, %rax
  shl $4, %rax
  movdqu (%rsi,%rax), %xmm0
  aesimc %xmm0, %xmm0
  mov %rcx, %r8
  shl $4, %r8
  movdqu %xmm0, (%rdx,%r8)
  inc %rcx
  cmp $14, %rcx
  jne 1b
  movdqu (%rsi), %xmm0
  movdqu %xmm0, 224(%rdx)
  pxor %xmm0, %xmm0
  pxor %xmm1, %xmm1
  pxor %xmm2, %xmm2
  pxor %xmm3, %xmm3
  pxor %xmm4, %xmm4
  ret

/* xmm0 = AES-256 encryption of xmm0 with the schedule at (reg). */
.macro ENCRYPT schedule
  movdqu (\schedule), %xmm5
  pxor %xmm5, %xmm0
  .irp off, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208
  movdqu \off(\schedule), %xmm5
  aesenc %xmm5, %xmm0
  .endr
  movdqu 224(\schedule), %xmm5
  aesenclast %xmm5, %xmm0
.endm

.macro DECRYPT schedule
  movdqu (\schedule), %xmm5
  pxor %xmm5, %xmm0
  .irp off, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208
  movdqu \off(\schedule), %xmm5
  aesdec %xmm5, %xmm0
  .endr
  movdqu 224(\schedule), %xmm5
  aesdeclast %xmm5, %xmm0
.endm

  .global sk_aesni_xts
sk_aesni_xts:
  /* rdi enc, rsi dec, rdx tweak_enc, rcx tweak, r8 data, r9 blocks, [rsp+8] decrypt */
  mov 8(%rsp), %r10
  movq %rcx, %xmm0           /* the tweak: sector number, 128-bit little-endian */
  ENCRYPT %rdx
  movq %xmm0, %rax           /* T in rax (low 64) : r11 (high 64) */
  pextrq $1, %xmm0, %r11
  test %r9, %r9
  jz 3f
2:
  movq %rax, %xmm3
  pinsrq $1, %r11, %xmm3     /* xmm3 = T */
  movdqu (%r8), %xmm0
  pxor %xmm3, %xmm0
  test %r10, %r10
  jnz 4f
  ENCRYPT %rdi
  jmp 5f
4:
  DECRYPT %rsi
5:
  pxor %xmm3, %xmm0
  movdqu %xmm0, (%r8)
  /* T = T * x: shift the 128-bit value left by one, fold the carry back as 0x87. */
  mov %r11, %rcx
  sar $63, %rcx              /* all ones if the top bit was set */
  and $0x87, %rcx
  shld $1, %rax, %r11
  shl $1, %rax
  xor %rcx, %rax
  add $16, %r8
  dec %r9
  jnz 2b
3:
  pxor %xmm0, %xmm0
  pxor %xmm3, %xmm3
  pxor %xmm5, %xmm5
  xor %eax, %eax
  xor %r11d, %r11d
  ret
  .section .note.GNU-stack, "", @progbits
