//! The Belgian civil date. Entries are stamped in UTC (N-5.9.5), but the
//! days that rules speak of are Belgian days: a legal basis "valid until
//! 31 December" ends at midnight in Brussels, and a document created on the
//! 24th and recorded at 00:30 on the 25th, Brussels time, was recorded a day
//! late (AR-17) even though it was still the 24th in UTC.
//!
//! Belgian civil time is CET (UTC+1), and CEST (UTC+2) from 01:00 UTC on
//! the last Sunday of March to 01:00 UTC on the last Sunday of October, the
//! rule of EU Directive 2000/84/EC (in force in Belgium since 1996). Written
//! here rather than read from a time-zone database: this one rule is all
//! Probant needs, and it then does not depend on the host's `TZ` or tzdata.
use time::macros::{offset, time};
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};

/// Belgian civil time's offset from UTC at the instant `at`.
pub fn belgian_offset(at: OffsetDateTime) -> UtcOffset {
    let utc = at.to_offset(UtcOffset::UTC);
    let switch = |month| OffsetDateTime::new_utc(last_sunday(utc.year(), month), time!(01:00));
    if utc >= switch(Month::March) && utc < switch(Month::October) {
        offset!(+2)
    } else {
        offset!(+1)
    }
}

/// The date in Belgium at the instant `at`.
pub fn belgian_date(at: OffsetDateTime) -> Date {
    at.to_offset(belgian_offset(at)).date()
}

/// Today's date in Belgium.
pub fn belgian_today() -> Date {
    belgian_date(OffsetDateTime::now_utc())
}

/// `YYYY-MM-DD`, as dates are written in metadata, policies and bags.
pub fn format_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// The last Sunday of `month` in `year`.
fn last_sunday(year: i32, month: Month) -> Date {
    let days = time::util::days_in_month(month, year);
    let last = Date::from_calendar_date(year, month, days).unwrap_or(Date::MIN);
    last - Duration::days(i64::from(last.weekday().number_days_from_sunday()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn offset_hours(at: OffsetDateTime) -> i8 {
        belgian_offset(at).whole_hours()
    }

    /// The switches of 2026 (29 March, 25 October) and 2027 (28 March,
    /// 31 October), to the second.
    #[test]
    fn summer_time_starts_and_ends_at_one_utc_on_the_last_sundays() {
        for (before, after, from, to) in [
            (
                datetime!(2026-03-29 00:59:59 UTC),
                datetime!(2026-03-29 01:00:00 UTC),
                1,
                2,
            ),
            (
                datetime!(2026-10-25 00:59:59 UTC),
                datetime!(2026-10-25 01:00:00 UTC),
                2,
                1,
            ),
            (
                datetime!(2027-03-28 00:59:59 UTC),
                datetime!(2027-03-28 01:00:00 UTC),
                1,
                2,
            ),
            (
                datetime!(2027-10-31 00:59:59 UTC),
                datetime!(2027-10-31 01:00:00 UTC),
                2,
                1,
            ),
        ] {
            assert_eq!(
                (offset_hours(before), offset_hours(after)),
                (from, to),
                "{after}"
            );
        }
    }

    /// AR-17: 00:30 in Brussels is already the next day.
    #[test]
    fn the_belgian_day_starts_before_the_utc_day() {
        use time::macros::date;
        assert_eq!(
            belgian_date(datetime!(2026-11-24 22:59:59 UTC)),
            date!(2026 - 11 - 24)
        );
        assert_eq!(
            belgian_date(datetime!(2026-11-24 23:00:00 UTC)),
            date!(2026 - 11 - 25)
        );
        assert_eq!(
            belgian_date(datetime!(2026-07-01 21:59:59 UTC)),
            date!(2026 - 07 - 01)
        );
        assert_eq!(
            belgian_date(datetime!(2026-07-01 22:00:00 UTC)),
            date!(2026 - 07 - 02)
        );
        assert_eq!(
            belgian_date(datetime!(2026-12-31 23:30:00 UTC)),
            date!(2027 - 01 - 01)
        );
        // An instant given with another offset is the same instant.
        assert_eq!(
            belgian_date(datetime!(2026-11-25 00:30:00 +01:00)),
            date!(2026 - 11 - 25)
        );
    }

    proptest! {
        /// Whatever the instant: one hour ahead in winter, two in summer
        /// (April to September always summer, November to February always
        /// winter), and the date is that of UTC or the next day.
        #[test]
        fn the_offset_is_cet_or_cest(secs in 0i64..4_102_444_800) {
            let at = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            let hours = offset_hours(at);
            prop_assert!(hours == 1 || hours == 2);
            match at.month() {
                Month::April | Month::May | Month::June | Month::July | Month::August
                | Month::September => prop_assert_eq!(hours, 2),
                Month::November | Month::December | Month::January | Month::February => {
                    prop_assert_eq!(hours, 1)
                }
                _ => {}
            }
            let date = belgian_date(at);
            prop_assert!(date == at.date() || date == at.date().next_day().unwrap());
        }
    }
}
