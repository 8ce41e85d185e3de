/* SPDX-License-Identifier: Apache-2.0 */
/* Multiboot v1 entry: 32-bit protected mode -> identity-mapped long mode -> sk_kernel_main.
   Promises: low 4 GiB identity mapped with 2 MiB pages, [3 GiB, 4 GiB) uncached (MMIO),
   BSS zeroed, a 16 KiB boot stack, EAX/EBX of the loader passed on as (magic, info). */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, memory info */

  .section .multiboot, "a"
  .align 4
  .long MB_MAGIC
  .long MB_FLAGS
  .long -(MB_MAGIC + MB_FLAGS)

  .section .init.text, "ax"
  .code32
  .global sk_multiboot_entry
sk_multiboot_entry:
  cli
  mov %eax, %esi                  /* multiboot magic */
  mov %ebx, %ebp                  /* multiboot info (physical) */

  /* Zero BSS (page tables and stacks live there). */
  mov $sk_bss_start, %edi
  mov $sk_bss_end, %ecx
  sub %edi, %ecx
  shr $2, %ecx
  xor %eax, %eax
  rep stosl

  mov $(sk_boot_stack + 16384), %esp

  /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; each PD maps 1 GiB in 2 MiB pages. */
  mov $sk_boot_pdpt, %eax
  or $0x3, %eax
  mov %eax, sk_boot_pml4
  xor %ecx, %ecx
1:
  mov %ecx, %eax
  shl $12, %eax
  add $sk_boot_pd, %eax
  or $0x3, %eax
  mov %eax, sk_boot_pdpt(,%ecx,8)
  inc %ecx
  cmp $4, %ecx
  jne 1b

  xor %ecx, %ecx                  /* ecx = 2 MiB page index, 0..2047 */
2:
  mov %ecx, %eax
  shl $21, %eax
  or $0x83, %eax                  /* present, writable, page size */
  cmp $1536, %ecx                 /* >= 3 GiB: MMIO, cache disabled + write-through */
  jb 3f
  or $0x18, %eax
3:
  mov %eax, sk_boot_pd(,%ecx,8)
  movl $0, sk_boot_pd+4(,%ecx,8)
  inc %ecx
  cmp $2048, %ecx
  jne 2b

  /* CR4.PAE, CR3, EFER.LME (+NXE), CR0.PG. */
  mov %cr4, %eax
  or $0x20, %eax
  mov %eax, %cr4
  mov $sk_boot_pml4, %eax
  mov %eax, %cr3
  mov $0xC0000080, %ecx
  rdmsr
  or $0x100, %eax
  wrmsr
  mov %cr0, %eax
  or $0x80000001, %eax
  mov %eax, %cr0

  lgdt sk_boot_gdtr
  ljmp $0x08, $long_mode_entry

  .code64
long_mode_entry:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  xor %eax, %eax
  mov %ax, %fs
  mov %ax, %gs
  mov $(sk_boot_stack + 16384), %rsp
  mov %esi, %edi                  /* arg 0: multiboot magic */
  mov %ebp, %esi                  /* arg 1: multiboot info */
  xor %ebp, %ebp
  call sk_kernel_main
4:
  cli
  hlt
  jmp 4b

  .section .init.data, "aw"
  .align 16
sk_boot_gdt:
  .quad 0
  .quad 0x00AF9A000000FFFF        /* 0x08: 64-bit code */
  .quad 0x00CF92000000FFFF        /* 0x10: data */
sk_boot_gdtr:
  .word sk_boot_gdtr - sk_boot_gdt - 1
  .long sk_boot_gdt

  .section .bss
  .align 4096
  .global sk_boot_pml4
sk_boot_pml4: .skip 4096
sk_boot_pdpt: .skip 4096
sk_boot_pd: .skip 4 * 4096
  .global sk_boot_stack
sk_boot_stack: .skip 16384
