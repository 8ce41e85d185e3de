# SPDX-License-Identifier: Apache-2.0
# The harness's own test payload: a 32-bit multiboot kernel that prints HARNESS-HELLO on COM1,
# writes "BH" (white on blue) at the top left of VGA text memory, prints the TPM TIS DID_VID
# register, then echoes every i8042 scancode as "SC xx" on COM1.
        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0
        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .text
        .globl _start
_start:
        mov $stack_top, %esp
        mov $hello, %esi
        call puts
        movw $0x1F42, 0xB8000          # 'B' white on blue
        movw $0x1F48, 0xB8002          # 'H'
        mov $did, %esi
        call puts
        mov 0xFED40F00, %eax           # TIS DID_VID, locality 0
        call puthex32
        mov $10, %al
        call putc
poll:
        inb $0x64, %al
        test $1, %al
        jz poll
        inb $0x60, %al
        mov %al, %bl
        mov $sc, %esi
        call puts
        mov %bl, %al
        call puthex8
        mov $10, %al
        call putc
        jmp poll

putc:                                   # al -> COM1 (waits for the transmitter)
        push %eax
        mov $0x3FD, %dx
1:      inb %dx, %al
        test $0x20, %al
        jz 1b
        pop %eax
        mov $0x3F8, %dx
        outb %al, %dx
        ret

puts:                                   # esi -> NUL-terminated string
        lodsb
        test %al, %al
        jz 2f
        call putc
        jmp puts
2:      ret

puthex8:                                # al -> two hex digits
        push %eax
        shr $4, %al
        call nibble
        pop %eax
        and $0xF, %al
        jmp nibble

puthex32:                               # eax -> eight hex digits
        mov $8, %ecx
        mov %eax, %edi
3:      rol $4, %edi
        mov %edi, %eax
        and $0xF, %al
        push %ecx
        call nibble
        pop %ecx
        loop 3b
        ret

nibble:
        and $0xF, %al
        add $'0', %al
        cmp $'9', %al
        jbe 4f
        add $('a' - '9' - 1), %al
4:      jmp putc

        .section .rodata
hello:  .asciz "HARNESS-HELLO\n"
did:    .asciz "TIS-DID-VID "
sc:     .asciz "SC "

        .bss
        .align 16
        .space 4096
stack_top:
