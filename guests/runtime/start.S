/* SPDX-License-Identifier: Apache-2.0 */
/* Guest entry: the kernel starts us in flat 32-bit protected mode, paging and interrupts off. */
  .section .text.start, "ax"
  .code32
  .global _start
_start:
  mov $guest_stack_top, %esp
  xor %ebp, %ebp
  call guest_main
1:
  hlt
  jmp 1b

  .bss
  .align 16
  .skip 16384
guest_stack_top:
  .section .note.GNU-stack, "", @progbits
