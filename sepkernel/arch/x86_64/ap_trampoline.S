/* SPDX-License-Identifier: Apache-2.0 */
/* Application-processor start-up code: copied by the bootstrap CPU to k_ap_trampoline (0x7000,
   inside platform.kernel_reserved) and entered there by the STARTUP IPI in real mode. It goes
   real -> protected -> long mode on the kernel's own identity page tables and calls
   sk_ap_main(cpu) on the stack the bootstrap CPU wrote into the copy. Position dependent on
   purpose: every address below is the copy's, computed from TRAMP. */
  .set TRAMP, 0x7000

  .section .init.data, "aw"
  .align 16
  .global sk_ap_trampoline_start, sk_ap_trampoline_end, sk_ap_trampoline_stack, sk_ap_trampoline_cpu
  .code16
sk_ap_trampoline_start:
  cli
  cld
  xor %ax, %ax
  mov %ax, %ds
  lgdtl TRAMP + (ap_gdtr - sk_ap_trampoline_start)
  mov %cr0, %eax
  or $1, %eax                     /* PE */
  mov %eax, %cr0
  ljmpl $0x08, $(TRAMP + (ap_protected - sk_ap_trampoline_start))

  .code32
ap_protected:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov %cr4, %eax
  or $0x20, %eax                  /* PAE */
  mov %eax, %cr4
  mov $sk_boot_pml4, %eax         /* the bootstrap CPU's identity map (multiboot.S) */
  mov %eax, %cr3
  mov $0xC0000080, %ecx
  rdmsr
  or $0x100, %eax                 /* EFER.LME */
  wrmsr
  mov $0x80000011, %eax           /* PG, ET, PE; caches on (CD/NW as after INIT are cleared) */
  mov %eax, %cr0
  ljmp $0x18, $(TRAMP + (ap_long - sk_ap_trampoline_start))

  .code64
ap_long:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  xor %eax, %eax
  mov %ax, %fs
  mov %ax, %gs
  mov TRAMP + (sk_ap_trampoline_stack - sk_ap_trampoline_start), %rsp
  mov TRAMP + (sk_ap_trampoline_cpu - sk_ap_trampoline_start), %edi
  xor %ebp, %ebp
  movabs $sk_ap_main, %rax
  call *%rax
1:
  cli
  hlt
  jmp 1b

  .align 8
ap_gdt:
  .quad 0
  .quad 0x00CF9A000000FFFF        /* 0x08: 32-bit code */
  .quad 0x00CF92000000FFFF        /* 0x10: data */
  .quad 0x00AF9A000000FFFF        /* 0x18: 64-bit code */
ap_gdtr:
  .word ap_gdtr - ap_gdt - 1
  .long TRAMP + (ap_gdt - sk_ap_trampoline_start)
  .align 8
sk_ap_trampoline_stack: .quad 0   /* written in the copy by the bootstrap CPU */
sk_ap_trampoline_cpu: .long 0
sk_ap_trampoline_end:
