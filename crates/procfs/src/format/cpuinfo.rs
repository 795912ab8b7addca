//! `/proc/cpuinfo`: one block per CPU in the x86 layout, tab-aligned labels.

use alloc::vec::Vec;

use super::{put, Decimal, Text};
use crate::source::CpuInfo;

/// The text of `/proc/cpuinfo`.
pub fn cpuinfo(cpus: &[CpuInfo]) -> Vec<u8> {
    let mut text = Text::new();
    for cpu in cpus {
        push_cpu(&mut text, cpu);
    }
    text.into_bytes()
}

fn push_cpu(text: &mut Text, cpu: &CpuInfo) {
    put!(text, "processor\t: {}\n", cpu.processor);
    put!(text, "vendor_id\t: {}\n", cpu.vendor_id);
    put!(text, "cpu family\t: {}\n", cpu.family);
    put!(text, "model\t\t: {}\n", cpu.model);
    put!(text, "model name\t: {}\n", cpu.model_name);
    put!(text, "stepping\t: {}\n", cpu.stepping);
    put!(text, "microcode\t: {:#x}\n", cpu.microcode);
    put!(text, "cpu MHz\t\t: {}\n", Decimal::milli(cpu.khz));
    put!(text, "cache size\t: {} KB\n", cpu.cache_size_kb);
    put!(text, "physical id\t: {}\n", cpu.physical_id);
    put!(text, "siblings\t: {}\n", cpu.siblings);
    put!(text, "core id\t\t: {}\n", cpu.core_id);
    put!(text, "cpu cores\t: {}\n", cpu.cpu_cores);
    put!(text, "apicid\t\t: {}\n", cpu.apic_id);
    put!(text, "initial apicid\t: {}\n", cpu.initial_apic_id);
    text.push_str("fpu\t\t: yes\nfpu_exception\t: yes\n");
    put!(text, "cpuid level\t: {}\n", cpu.cpuid_level);
    text.push_str("wp\t\t: yes\n");
    push_words(text, "flags\t\t:", &cpu.flags);
    push_words(text, "bugs\t\t:", &cpu.bugs);
    put!(text, "bogomips\t: {}\n", Decimal::centi(cpu.bogomips_centi));
    put!(text, "clflush size\t: {}\n", cpu.clflush_size);
    put!(text, "cache_alignment\t: {}\n", cpu.cache_alignment);
    put!(
        text,
        "address sizes\t: {} bits physical, {} bits virtual\n",
        cpu.physical_address_bits,
        cpu.virtual_address_bits
    );
    text.push_str("power management:\n\n");
}

fn push_words(text: &mut Text, label: &str, words: &[&str]) {
    text.push_str(label);
    for word in words {
        text.push(b' ');
        text.push_str(word);
    }
    text.push(b'\n');
}
