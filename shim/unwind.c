/*
 * The shim's stack walker: one step from a frame to its caller's, by the
 * call frame information of the object the return address lies in
 * (.eh_frame_hdr's sorted table, then the FDE's rows).
 *
 * Why not libunwind for every stack: a fork child's first capture with it
 * writes into libunwind's caches and locks and runs code the child had not
 * run, each a page fault (copy-on-write, or a text page the child's page
 * tables do not have yet): some 16 faults, ~36 us, paid by every fork child
 * that records its exec.  Here what is learnt of a return address is one
 * 64-bit word of a table in this library's .bss, filled in the parent as it
 * records its own stacks; the child reads it without writing, and looks up
 * only the addresses it is the first to return to (its exec's call site).
 *
 * Only the common x86-64 shapes: the canonical frame address (CFA) at %rsp
 * or %rbp plus an offset, the return address at CFA-8, %rbp saved at an
 * offset from the CFA or left alone; and the kernel's signal frame, whose
 * saved registers lead back to the interrupted code.  Anything else (CFA
 * expressions, code without an FDE, 64-bit DWARF) makes the step give up
 * and the caller asks libunwind instead.
 */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <ucontext.h>

#include "unwind.h"

/* DWARF's numbers for x86-64's registers. */
enum { DWARF_RBP = 6, DWARF_RSP = 7, DWARF_RA = 16 };

/* Pointer encodings (DW_EH_PE_*). */
enum {
    PE_ABSPTR = 0x00,
    PE_ULEB128 = 0x01,
    PE_UDATA2 = 0x02,
    PE_UDATA4 = 0x03,
    PE_UDATA8 = 0x04,
    PE_SLEB128 = 0x09,
    PE_SDATA2 = 0x0a,
    PE_SDATA4 = 0x0b,
    PE_SDATA8 = 0x0c,
    PE_PCREL = 0x10,
    PE_DATAREL = 0x30,
    PE_INDIRECT = 0x80,
    PE_OMIT = 0xff,
};

/* A frame bigger than this is left to libunwind: a bound on where a step
 * may read, should an object's tables be wrong. */
#define MAX_FRAME_BYTES (1u << 20)

enum rule { RULE_SAME, RULE_UNDEFINED, RULE_OFFSET, RULE_OTHER };

/* The rules of one row of the table, for the registers a step needs. */
struct row {
    uint64_t cfa_reg;
    int64_t cfa_offset;
    bool cfa_other; /* an expression */
    enum rule rbp, ra;
    int64_t rbp_offset, ra_offset;
};

struct reader {
    const uint8_t *p, *end;
    bool bad;
};

static uint8_t read_u8(struct reader *r)
{
    if (r->p >= r->end) {
        r->bad = true;
        return 0;
    }
    return *r->p++;
}

static uint64_t read_fixed(struct reader *r, size_t n)
{
    if ((size_t)(r->end - r->p) < n) {
        r->bad = true;
        r->p = r->end;
        return 0;
    }
    uint64_t v = 0;
    memcpy(&v, r->p, n); /* little-endian */
    r->p += n;
    return v;
}

static uint64_t read_uleb(struct reader *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; r->p < r->end; shift += 7) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int64_t read_sleb(struct reader *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; r->p < r->end;) {
        uint8_t b = *r->p++;
        if (shift < 64)
            v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40))
                v |= ~(uint64_t)0 << shift;
            return (int64_t)v;
        }
    }
    r->bad = true;
    return 0;
}

static void skip(struct reader *r, uint64_t n)
{
    if ((uint64_t)(r->end - r->p) < n) {
        r->bad = true;
        r->p = r->end;
        return;
    }
    r->p += n;
}

/* A pointer in `encoding`; with `relocate`, made an address (only the
 * absolute and pc-relative forms are, the ones .eh_frame uses). */
static uintptr_t read_encoded(struct reader *r, uint8_t encoding, bool relocate)
{
    const uint8_t *at = r->p;
    uint64_t v;
    switch (encoding & 0x0f) {
    case PE_ABSPTR:
    case PE_UDATA8:
    case PE_SDATA8:
        v = read_fixed(r, 8);
        break;
    case PE_ULEB128:
        v = read_uleb(r);
        break;
    case PE_SLEB128:
        v = (uint64_t)read_sleb(r);
        break;
    case PE_UDATA2:
        v = read_fixed(r, 2);
        break;
    case PE_SDATA2:
        v = (uint64_t)(int64_t)(int16_t)read_fixed(r, 2);
        break;
    case PE_UDATA4:
        v = read_fixed(r, 4);
        break;
    case PE_SDATA4:
        v = (uint64_t)(int64_t)(int32_t)read_fixed(r, 4);
        break;
    default:
        r->bad = true;
        return 0;
    }
    if (!relocate)
        return (uintptr_t)v;
    if (encoding == PE_OMIT || (encoding & PE_INDIRECT))
        r->bad = true;
    else if ((encoding & 0x70) == PE_PCREL)
        v += (uintptr_t)at;
    else if ((encoding & 0x70) != 0)
        r->bad = true;
    return (uintptr_t)v;
}

struct cie {
    uint64_t code_align;
    int64_t data_align;
    uint8_t fde_encoding;
    bool augmented;    /* 'z': FDEs carry their augmentation data's length */
    bool signal_frame; /* 'S': the kernel's signal frame, left by a handler */
    const uint8_t *program, *end;
};

static bool parse_cie(const uint8_t *at, struct cie *c)
{
    uint32_t length;
    memcpy(&length, at, 4);
    if (length == 0 || length == 0xffffffffu) /* a terminator, or 64-bit DWARF */
        return false;
    struct reader r = {at + 4, at + 4 + length, false};
    uint8_t version;
    if (read_fixed(&r, 4) != 0 || ((version = read_u8(&r)) != 1 && version != 3))
        return false;
    const char *augmentation = (const char *)r.p;
    size_t aug_len = strnlen(augmentation, (size_t)(r.end - r.p));
    skip(&r, aug_len + 1);
    c->code_align = read_uleb(&r);
    c->data_align = read_sleb(&r);
    uint64_t ra = version == 1 ? read_u8(&r) : read_uleb(&r);
    if (r.bad || ra != DWARF_RA)
        return false;
    c->fde_encoding = PE_ABSPTR;
    c->signal_frame = false;
    c->augmented = augmentation[0] == 'z';
    if (c->augmented) {
        uint64_t n = read_uleb(&r);
        if (r.bad || n > (uint64_t)(r.end - r.p))
            return false;
        const uint8_t *data_end = r.p + n;
        for (size_t i = 1; i < aug_len; i++) {
            switch (augmentation[i]) {
            case 'R':
                c->fde_encoding = read_u8(&r);
                break;
            case 'L':
                read_u8(&r);
                break;
            case 'P':
                read_encoded(&r, read_u8(&r), false);
                break;
            case 'S':
                c->signal_frame = true;
                break;
            default:
                return false;
            }
        }
        r.p = data_end;
    } else if (aug_len != 0) {
        return false;
    }
    c->program = r.p;
    c->end = r.end;
    return !r.bad;
}

static void set_rule(struct row *row, uint64_t reg, enum rule rule, int64_t offset)
{
    if (reg == DWARF_RBP) {
        row->rbp = rule;
        row->rbp_offset = offset;
    } else if (reg == DWARF_RA) {
        row->ra = rule;
        row->ra_offset = offset;
    }
}

static void restore_rule(struct row *row, const struct row *initial, uint64_t reg)
{
    if (reg == DWARF_RBP)
        set_rule(row, reg, initial->rbp, initial->rbp_offset);
    else if (reg == DWARF_RA)
        set_rule(row, reg, initial->ra, initial->ra_offset);
}

/* Runs a CFA program from `loc` until the row that covers `target`. */
static bool run_program(const struct cie *c, const uint8_t *program, const uint8_t *end, uintptr_t loc,
                        uintptr_t target, struct row *row, const struct row *initial)
{
    enum { REMEMBERED_MAX = 8 };
    struct row remembered[REMEMBERED_MAX];
    unsigned depth = 0;
    struct reader r = {program, end, false};
    while (r.p < r.end && !r.bad) {
        uint8_t op = read_u8(&r);
        uint64_t reg, advance;
        switch (op >> 6) {
        case 1:
            advance = (op & 0x3fu) * c->code_align;
            goto advanced;
        case 2:
            set_rule(row, op & 0x3fu, RULE_OFFSET, (int64_t)read_uleb(&r) * c->data_align);
            continue;
        case 3:
            restore_rule(row, initial, op & 0x3fu);
            continue;
        }
        switch (op) {
        case 0x00: /* nop */
            continue;
        case 0x01: { /* set_loc */
            uintptr_t to = read_encoded(&r, c->fde_encoding, true);
            if (r.bad || to > target)
                return !r.bad;
            loc = to;
            continue;
        }
        case 0x02:
            advance = read_u8(&r) * c->code_align;
            goto advanced;
        case 0x03:
            advance = read_fixed(&r, 2) * c->code_align;
            goto advanced;
        case 0x04:
            advance = read_fixed(&r, 4) * c->code_align;
            goto advanced;
        case 0x05: /* offset_extended */
            reg = read_uleb(&r);
            set_rule(row, reg, RULE_OFFSET, (int64_t)read_uleb(&r) * c->data_align);
            continue;
        case 0x06: /* restore_extended */
            restore_rule(row, initial, read_uleb(&r));
            continue;
        case 0x07: /* undefined */
            set_rule(row, read_uleb(&r), RULE_UNDEFINED, 0);
            continue;
        case 0x08: /* same_value */
            set_rule(row, read_uleb(&r), RULE_SAME, 0);
            continue;
        case 0x09: /* register */
            reg = read_uleb(&r);
            read_uleb(&r);
            set_rule(row, reg, RULE_OTHER, 0);
            continue;
        case 0x0a: /* remember_state: the CFA too, as GCC's epilogues expect */
            if (depth == REMEMBERED_MAX)
                return false;
            remembered[depth++] = *row;
            continue;
        case 0x0b: /* restore_state */
            if (depth == 0)
                return false;
            *row = remembered[--depth];
            continue;
        case 0x0c: /* def_cfa */
            row->cfa_reg = read_uleb(&r);
            row->cfa_offset = (int64_t)read_uleb(&r);
            row->cfa_other = false;
            continue;
        case 0x0d: /* def_cfa_register */
            row->cfa_reg = read_uleb(&r);
            row->cfa_other = false;
            continue;
        case 0x0e: /* def_cfa_offset */
            row->cfa_offset = (int64_t)read_uleb(&r);
            continue;
        case 0x0f: /* def_cfa_expression */
            skip(&r, read_uleb(&r));
            row->cfa_other = true;
            continue;
        case 0x10: /* expression */
        case 0x16: /* val_expression */
            reg = read_uleb(&r);
            skip(&r, read_uleb(&r));
            set_rule(row, reg, RULE_OTHER, 0);
            continue;
        case 0x11: /* offset_extended_sf */
            reg = read_uleb(&r);
            set_rule(row, reg, RULE_OFFSET, read_sleb(&r) * c->data_align);
            continue;
        case 0x12: /* def_cfa_sf */
            row->cfa_reg = read_uleb(&r);
            row->cfa_offset = read_sleb(&r) * c->data_align;
            row->cfa_other = false;
            continue;
        case 0x13: /* def_cfa_offset_sf */
            row->cfa_offset = read_sleb(&r) * c->data_align;
            continue;
        case 0x14: /* val_offset */
            reg = read_uleb(&r);
            read_uleb(&r);
            set_rule(row, reg, RULE_OTHER, 0);
            continue;
        case 0x15: /* val_offset_sf */
            reg = read_uleb(&r);
            read_sleb(&r);
            set_rule(row, reg, RULE_OTHER, 0);
            continue;
        case 0x2e: /* GNU_args_size */
            read_uleb(&r);
            continue;
        case 0x2f: /* GNU_negative_offset_extended */
            reg = read_uleb(&r);
            set_rule(row, reg, RULE_OFFSET, -(int64_t)read_uleb(&r) * c->data_align);
            continue;
        default:
            return false;
        }
    advanced:
        if (r.bad)
            return false;
        if (advance > target - loc)
            return true;
        loc += advance;
    }
    return !r.bad;
}

/* What a step from a return address needs, packed in the 28 low bits of a
 * table word (the rest is the address's tag): */
enum {
    KIND_FRAME = 1,      /* the rule below */
    KIND_OUTERMOST = 2,  /* the return address is undefined: nothing called this */
    KIND_UNKNOWN = 3,    /* libunwind's business */
    KIND_SIGNAL = 3 | 4, /* the return into the kernel's signal frame */
    CFA_RBP_BIT = 1 << 2, /* the CFA is %rbp + offset, else %rsp + offset */
    CFA_OFFSET_SHIFT = 3, /* 17 bits: the offset / 8 */
    RBP_SAVED_BIT = 1 << 20,
    RBP_OFFSET_SHIFT = 21, /* 7 bits, signed: where %rbp is saved, from the CFA, / 8 */
    RULE_BITS = 28,
};

static uint64_t pack_row(const struct row *row)
{
    if (row->ra == RULE_UNDEFINED)
        return KIND_OUTERMOST;
    if (row->ra != RULE_OFFSET || row->ra_offset != -8 || row->cfa_other ||
        (row->cfa_reg != DWARF_RSP && row->cfa_reg != DWARF_RBP) || row->cfa_offset <= 0 ||
        row->cfa_offset % 8 != 0 || row->cfa_offset >= (int64_t)MAX_FRAME_BYTES)
        return KIND_UNKNOWN;
    uint64_t packed = KIND_FRAME | (uint64_t)(row->cfa_offset / 8) << CFA_OFFSET_SHIFT;
    if (row->cfa_reg == DWARF_RBP)
        packed |= CFA_RBP_BIT;
    if (row->rbp == RULE_OFFSET) {
        if (row->rbp_offset % 8 != 0 || row->rbp_offset < -512 || row->rbp_offset >= 512)
            return KIND_UNKNOWN;
        packed |= RBP_SAVED_BIT | (uint64_t)((row->rbp_offset / 8) & 0x7f) << RBP_OFFSET_SHIFT;
    } else if (row->rbp == RULE_OTHER) {
        return KIND_UNKNOWN;
    }
    return packed;
}

/* The FDE that covers `target`, by binary search of .eh_frame_hdr's table
 * (the form every linker writes: 4-byte entries relative to the header). */
static const uint8_t *find_fde(const uint8_t *hdr, uintptr_t target)
{
    if (hdr[0] != 1 || hdr[2] != PE_UDATA4 || hdr[3] != (PE_DATAREL | PE_SDATA4))
        return NULL;
    struct reader r = {hdr + 4, hdr + 4 + 16, false};
    read_encoded(&r, hdr[1], false);
    uint32_t count = (uint32_t)read_fixed(&r, 4);
    if (r.bad || count == 0)
        return NULL;
    const uint8_t *table = r.p;
    size_t lo = 0, hi = count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        int32_t start;
        memcpy(&start, table + mid * 8, 4);
        if ((uintptr_t)(hdr + start) <= target)
            lo = mid;
        else
            hi = mid;
    }
    int32_t entry[2];
    memcpy(entry, table + lo * 8, 8);
    if ((uintptr_t)(hdr + entry[0]) > target)
        return NULL;
    return hdr + entry[1];
}

/* The packed rule for a return address, from the object's tables. */
static uint64_t rule_from_tables(uintptr_t pc, et_unwind_table_fn table, void *ctx)
{
    /* The call is the instruction before the return address: a call that
     * does not return may be the last of its function. */
    uintptr_t target = pc - 1;
    const uint8_t *hdr = table(target, ctx);
    const uint8_t *fde = hdr ? find_fde(hdr, target) : NULL;
    if (!fde)
        return KIND_UNKNOWN;
    uint32_t length;
    int32_t cie_offset;
    memcpy(&length, fde, 4);
    memcpy(&cie_offset, fde + 4, 4);
    if (length == 0 || length == 0xffffffffu || cie_offset == 0)
        return KIND_UNKNOWN;
    struct cie c;
    if (!parse_cie(fde + 4 - cie_offset, &c))
        return KIND_UNKNOWN;
    if (c.signal_frame)
        return KIND_SIGNAL;
    struct reader r = {fde + 8, fde + 4 + length, false};
    uintptr_t begin = read_encoded(&r, c.fde_encoding, true);
    uintptr_t range = read_encoded(&r, c.fde_encoding & 0x0f, false);
    if (c.augmented)
        skip(&r, read_uleb(&r));
    if (r.bad || target < begin || target - begin >= range)
        return KIND_UNKNOWN;
    struct row initial = {DWARF_RSP, 8, false, RULE_SAME, RULE_UNDEFINED, 0, 0};
    if (!run_program(&c, c.program, c.end, 0, UINTPTR_MAX, &initial, &initial))
        return KIND_UNKNOWN;
    struct row row = initial;
    if (!run_program(&c, r.p, r.end, begin, target, &row, &initial))
        return KIND_UNKNOWN;
    return pack_row(&row);
}

/* Return address -> packed rule, one word per slot: the slot's index and
 * the word's tag together give back the whole address, so a word is
 * written and read whole, without a lock, by any thread or handler. */
#define RULE_SLOTS_BITS 12
static uint64_t rule_slots[1u << RULE_SLOTS_BITS];

unsigned et_unwind_slot(uintptr_t pc)
{
    return (unsigned)((pc ^ (pc >> RULE_SLOTS_BITS)) & ((1u << RULE_SLOTS_BITS) - 1));
}

static inline uint64_t rule_for(uintptr_t pc, et_unwind_table_fn table, void *ctx)
{
    uint64_t tag = (uint64_t)pc >> RULE_SLOTS_BITS;
    uint64_t *slot = &rule_slots[et_unwind_slot(pc)];
    uint64_t word = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (word >> RULE_BITS == tag && (word & 3) != 0)
        return word & ((1u << RULE_BITS) - 1);
    uint64_t rule = rule_from_tables(pc, table, ctx);
    /* Addresses above 2^48 (five-level page tables) do not fit the tag. */
    if (tag < (uint64_t)1 << (64 - RULE_BITS))
        __atomic_store_n(slot, tag << RULE_BITS | rule, __ATOMIC_RELAXED);
    return rule;
}

/* glibc's x86-64 signal return: mov $__NR_rt_sigreturn, %rax; syscall. */
static const uint8_t sigreturn_code[] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

/* From the return into the signal frame to the code the signal
 * interrupted: the handler returned with %rsp at the frame's ucontext,
 * which holds that code's registers (the kernel's rt_sigframe, an ABI). */
static int step_out_of_signal_frame(struct et_unwind_regs *regs)
{
    if (memcmp((const void *)regs->pc, sigreturn_code, sizeof(sigreturn_code)) != 0 || regs->sp % 8 != 0)
        return ET_UNWIND_GIVE_UP;
    const ucontext_t *uc = (const ucontext_t *)regs->sp;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    regs->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    regs->rbp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    regs->pc = pc;
    regs->interrupted = 1;
    return pc == 0 ? ET_UNWIND_END : ET_UNWIND_STEPPED;
}

static inline int step(struct et_unwind_regs *regs, et_unwind_table_fn table, void *ctx)
{
    /* An interrupted instruction is looked up as itself, a return address
     * as the call before it: as the return address one past it. */
    uint64_t rule = rule_for(regs->pc + (regs->interrupted ? 1 : 0), table, ctx);
    regs->interrupted = 0;
    if ((rule & 3) == KIND_OUTERMOST)
        return ET_UNWIND_END;
    if ((rule & 7) == KIND_SIGNAL)
        return step_out_of_signal_frame(regs);
    if ((rule & 3) != KIND_FRAME)
        return ET_UNWIND_GIVE_UP;
    uintptr_t base = rule & CFA_RBP_BIT ? regs->rbp : regs->sp;
    uintptr_t cfa = base + ((rule >> CFA_OFFSET_SHIFT) & 0x1ffff) * 8;
    /* A caller's frame lies above its callee's, whole. */
    if (cfa <= regs->sp || cfa % 8 != 0 || cfa - regs->sp > MAX_FRAME_BYTES)
        return ET_UNWIND_GIVE_UP;
    uintptr_t rbp = regs->rbp;
    if (rule & RBP_SAVED_BIT) {
        int64_t offset = (int64_t)(((rule >> RBP_OFFSET_SHIFT) & 0x7f) ^ 0x40) - 0x40;
        uintptr_t at = cfa + (uintptr_t)(offset * 8);
        if (at < regs->sp || at + 8 > cfa)
            return ET_UNWIND_GIVE_UP;
        rbp = *(const uintptr_t *)at;
    }
    uintptr_t ra = *(const uintptr_t *)(cfa - 8);
    regs->pc = ra;
    regs->sp = cfa;
    regs->rbp = rbp;
    return ra == 0 ? ET_UNWIND_END : ET_UNWIND_STEPPED;
}

int et_unwind_step(struct et_unwind_regs *regs, et_unwind_table_fn table, void *ctx)
{
    return step(regs, table, ctx);
}

int et_unwind_walk(struct et_unwind_regs *regs, uintptr_t skip_start, uintptr_t skip_end, uint64_t *pcs,
                   unsigned max, unsigned *stored, et_unwind_table_fn table, void *ctx)
{
    int result = ET_UNWIND_STEPPED;
    unsigned n = 0;
    while (result == ET_UNWIND_STEPPED && regs->pc >= skip_start && regs->pc < skip_end)
        result = step(regs, table, ctx);
    while (result == ET_UNWIND_STEPPED && n < max) {
        pcs[n++] = regs->pc;
        result = step(regs, table, ctx);
    }
    *stored = n;
    return result;
}

void et_unwind_forget(void)
{
    /* Only the slots in use: the table's untouched pages stay untouched. */
    for (size_t i = 0; i < sizeof(rule_slots) / sizeof(rule_slots[0]); i++)
        if (__atomic_load_n(&rule_slots[i], __ATOMIC_RELAXED) != 0)
            __atomic_store_n(&rule_slots[i], 0, __ATOMIC_RELAXED);
}
