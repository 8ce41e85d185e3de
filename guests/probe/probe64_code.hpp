// SPDX-License-Identifier: Apache-2.0
// The two 64-bit routines of probe64.hpp (included once per probe image). Entered by a far call
// from compatibility mode (32-bit CS:EIP on the stack), left by a 32-bit far return.
#pragma once

asm(R"(
  .text
  .code64
  /* Slot s of the value array (probe64.hpp) and its MSR: slots 16-25 are MSRs. */
  .macro probe64_wr slot, msr
  lea \slot(%rsi), %rax
  mov $\msr, %ecx
  mov %rax, %rdx
  shr $32, %rdx
  wrmsr
  .endm
  .macro probe64_rd slot, msr
  mov $\msr, %ecx
  rdmsr
  shl $32, %rdx
  mov %eax, %eax
  or %rdx, %rax
  mov %rax, \slot*8(%rdi)
  .endm
  .global probe64_set
probe64_set:
  mov %esp, %esp                  /* RSP = ESP, zero-extended */
  shl $32, %rdx
  mov %eax, %eax
  or %rdx, %rax                   /* RAX = base */
  mov %ecx, %edi                  /* EDI = SCE */
  lea 0(%rax), %r8
  lea 1(%rax), %r9
  lea 2(%rax), %r10
  lea 3(%rax), %r11
  lea 4(%rax), %r12
  lea 5(%rax), %r13
  lea 6(%rax), %r14
  lea 7(%rax), %r15
  lea 8(%rax), %rdx ; movq %rdx, %xmm8
  lea 9(%rax), %rdx ; movq %rdx, %xmm9
  lea 10(%rax), %rdx ; movq %rdx, %xmm10
  lea 11(%rax), %rdx ; movq %rdx, %xmm11
  lea 12(%rax), %rdx ; movq %rdx, %xmm12
  lea 13(%rax), %rdx ; movq %rdx, %xmm13
  lea 14(%rax), %rdx ; movq %rdx, %xmm14
  lea 15(%rax), %rdx ; movq %rdx, %xmm15
  mov %rax, %rsi
  .irp pair,"16,0xC0000100","17,0xC0000101","18,0xC0000102","19,0xC0000082","20,0xC0000083","21,0x175","22,0x176","23,0xC0000081"
  probe64_wr \pair
  .endr
  lea 24(%rsi), %eax              /* SFMASK: 32 bits */
  xor %edx, %edx
  mov $0xC0000084, %ecx
  wrmsr
  lea 25(%rsi), %eax              /* SYSENTER_CS: 16 bits */
  movzwl %ax, %eax
  mov $0x174, %ecx
  wrmsr
  lea 26(%rsi), %rax
  and $0xF, %eax
  mov %rax, %cr8
  mov $0xC0000080, %ecx           /* EFER: LME (and LMA) as they are, SCE as asked */
  rdmsr
  and $~1, %eax
  or %edi, %eax
  wrmsr
  lretl

  .global probe64_get
probe64_get:
  mov %esp, %esp
  mov %eax, %edi                  /* RDI = out */
  mov %r8, 0(%rdi)
  mov %r9, 8(%rdi)
  mov %r10, 16(%rdi)
  mov %r11, 24(%rdi)
  mov %r12, 32(%rdi)
  mov %r13, 40(%rdi)
  mov %r14, 48(%rdi)
  mov %r15, 56(%rdi)
  movq %xmm8, 64(%rdi)
  movq %xmm9, 72(%rdi)
  movq %xmm10, 80(%rdi)
  movq %xmm11, 88(%rdi)
  movq %xmm12, 96(%rdi)
  movq %xmm13, 104(%rdi)
  movq %xmm14, 112(%rdi)
  movq %xmm15, 120(%rdi)
  .irp pair,"16,0xC0000100","17,0xC0000101","18,0xC0000102","19,0xC0000082","20,0xC0000083","21,0x175","22,0x176","23,0xC0000081","24,0xC0000084","25,0x174"
  probe64_rd \pair
  .endr
  mov %cr8, %rax
  mov %rax, 208(%rdi)
  mov $0xC0000080, %ecx
  rdmsr
  shl $32, %rdx
  mov %eax, %eax
  or %rdx, %rax
  mov %rax, 216(%rdi)
  lretl

  .text
  .code32
)");
