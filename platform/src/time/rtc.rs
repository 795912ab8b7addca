//! The CMOS real-time clock, read once at boot.

use x86_64::instructions::port::Port;

const CMOS_INDEX: u16 = 0x70;
const CMOS_DATA: u16 = 0x71;
/// Keeps NMIs disabled while a CMOS register is selected.
const CMOS_NMI_DISABLE: u8 = 1 << 7;
const REG_SECONDS: u8 = 0x00;
const REG_MINUTES: u8 = 0x02;
const REG_HOURS: u8 = 0x04;
const REG_DAY: u8 = 0x07;
const REG_MONTH: u8 = 0x08;
const REG_YEAR: u8 = 0x09;
const REG_STATUS_A: u8 = 0x0a;
const REG_STATUS_B: u8 = 0x0b;
const REG_CENTURY: u8 = 0x32;
const STATUS_A_UPDATING: u8 = 1 << 7;
const STATUS_B_24_HOUR: u8 = 1 << 1;
const STATUS_B_BINARY: u8 = 1 << 2;
const HOUR_PM: u8 = 1 << 7;
const READ_ATTEMPTS: usize = 16;
const UPDATE_WAIT_SPINS: usize = 1_000_000;
const SECONDS_PER_DAY: u64 = 86_400;

fn read_register(reg: u8) -> u8 {
    let mut index = Port::<u8>::new(CMOS_INDEX);
    let mut data = Port::<u8>::new(CMOS_DATA);
    // SAFETY: selecting and reading a CMOS register changes nothing else.
    unsafe {
        index.write(CMOS_NMI_DISABLE | reg);
        data.read()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct RawTime {
    second: u8,
    minute: u8,
    hour: u8,
    day: u8,
    month: u8,
    year: u8,
    century: u8,
}

fn read_raw() -> RawTime {
    for _ in 0..UPDATE_WAIT_SPINS {
        if read_register(REG_STATUS_A) & STATUS_A_UPDATING == 0 {
            break;
        }
        core::hint::spin_loop();
    }
    RawTime {
        second: read_register(REG_SECONDS),
        minute: read_register(REG_MINUTES),
        hour: read_register(REG_HOURS),
        day: read_register(REG_DAY),
        month: read_register(REG_MONTH),
        year: read_register(REG_YEAR),
        century: read_register(REG_CENTURY),
    }
}

fn from_bcd(value: u8) -> u8 {
    (value >> 4) * 10 + (value & 0x0f)
}

/// Seconds since the Unix epoch, or `None` if the RTC reads nonsense.
pub(super) fn read_unix_seconds() -> Option<u64> {
    // Read until two reads agree, so no update happened in between.
    let mut time = read_raw();
    for _ in 0..READ_ATTEMPTS {
        let again = read_raw();
        if again == time {
            break;
        }
        time = again;
    }
    let status_b = read_register(REG_STATUS_B);
    let binary = status_b & STATUS_B_BINARY != 0;
    let decode = |value: u8| if binary { value } else { from_bcd(value) };

    let pm = time.hour & HOUR_PM != 0;
    let mut hour = decode(time.hour & !HOUR_PM);
    if status_b & STATUS_B_24_HOUR == 0 {
        hour %= 12;
        if pm {
            hour += 12;
        }
    }
    let century = match decode(time.century) {
        century @ 19..=21 => u64::from(century),
        _ => 20,
    };
    let year = century * 100 + u64::from(decode(time.year));
    let (month, day) = (decode(time.month), decode(time.day));
    let (minute, second) = (decode(time.minute), decode(time.second));
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 || year < 1970 {
        return None;
    }
    let days = days_since_epoch(year, u64::from(month), u64::from(day));
    Some(
        days * SECONDS_PER_DAY
            + u64::from(hour) * 3600
            + u64::from(minute) * 60
            + u64::from(second),
    )
}

/// Days from 1970-01-01 to the given date (proleptic Gregorian calendar),
/// counting years from March so the leap day falls at the end.
fn days_since_epoch(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year % 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719468 days separate 0000-03-01 from 1970-01-01.
    era * 146_097 + day_of_era - 719_468
}
