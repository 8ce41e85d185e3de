/* SPDX-License-Identifier: Apache-2.0 */
/* Interrupt entry stubs: push a uniform frame (vector, error code, GPRs) and call
   sk_interrupt(Interrupt_frame*). Exceptions never return (the handler halts). */
  .text
  .code64

.macro STUB vector, has_error
  .align 16
  .global sk_isr_\vector
sk_isr_\vector:
  .if \has_error == 0
  push $0
  .endif
  push $\vector
  jmp sk_isr_common
.endm

STUB 0,0
STUB 1,0
STUB 2,0
STUB 3,0
STUB 4,0
STUB 5,0
STUB 6,0
STUB 7,0
STUB 8,1
STUB 9,0
STUB 10,1
STUB 11,1
STUB 12,1
STUB 13,1
STUB 14,1
STUB 15,0
STUB 16,0
STUB 17,1
STUB 18,0
STUB 19,0
STUB 20,0
STUB 21,1
STUB 22,0
STUB 23,0
STUB 24,0
STUB 25,0
STUB 26,0
STUB 27,0
STUB 28,0
STUB 29,1
STUB 30,1
STUB 31,0
STUB 32,0
STUB 241,0
STUB 247,0
STUB 255,0

sk_isr_common:
  push %rax
  push %rcx
  push %rdx
  push %rbx
  push %rbp
  push %rsi
  push %rdi
  push %r8
  push %r9
  push %r10
  push %r11
  push %r12
  push %r13
  push %r14
  push %r15
  mov %rsp, %rdi
  mov %rsp, %rbx
  and $-16, %rsp
  call sk_interrupt
  mov %rbx, %rsp
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %r11
  pop %r10
  pop %r9
  pop %r8
  pop %rdi
  pop %rsi
  pop %rbp
  pop %rbx
  pop %rdx
  pop %rcx
  pop %rax
  add $16, %rsp
  iretq

  .section .rodata
  .align 8
  .global sk_isr_table
sk_isr_table:
  .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  .quad sk_isr_\v
  .endr
  .quad sk_isr_32
  .quad sk_isr_255
  .quad sk_isr_241          /* [34] keyboard, master PIC IRQ 1 */
  .quad sk_isr_247          /* [35] master PIC spurious IRQ 7 */
