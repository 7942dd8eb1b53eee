//! Monthly cost of contracts (ハードウェア資産の費用, ソフトウェアライセンスの費用): a contract's
//! amount spread evenly over the calendar months of its period, accruing only up to its end
//! day (a contract cancelled early has its end day moved, and stops there).

use serde::Serialize;

/// One month's cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MonthCost {
    /// `YYYY-MM`.
    pub month: String,
    /// Of contracts linked to hardware assets.
    pub hardware: i64,
    /// Of contracts linked to licences.
    pub licences: i64,
    /// Of every contract (a contract linked to both counts once here).
    pub total: i64,
}

/// A contract as the cost report needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Costed {
    /// Amount over the whole period.
    pub amount: i64,
    /// First day.
    pub starts_on: jiff::civil::Date,
    /// Last day.
    pub ends_on: jiff::civil::Date,
    /// Linked to hardware assets.
    pub hardware: bool,
    /// Linked to licences.
    pub licences: bool,
}

fn month_index(date: jiff::civil::Date) -> i32 {
    i32::from(date.year()) * 12 + i32::from(date.month()) - 1
}

/// The cost of `contracts` in each month from `from` to `to` (inclusive, first days of
/// months). Each month of a period gets `amount / months`, the remainder going to the first
/// months, so the months add up to the amount exactly.
pub fn monthly(
    contracts: &[Costed],
    from: jiff::civil::Date,
    to: jiff::civil::Date,
) -> Vec<MonthCost> {
    let (first, last) = (month_index(from), month_index(to));
    let mut months: Vec<MonthCost> = (first..=last)
        .map(|m| MonthCost {
            month: format!("{:04}-{:02}", m / 12, m % 12 + 1),
            ..MonthCost::default()
        })
        .collect();
    for contract in contracts {
        let (start, end) = (
            month_index(contract.starts_on),
            month_index(contract.ends_on),
        );
        if end < start || contract.amount <= 0 {
            continue;
        }
        let count = i64::from(end - start + 1);
        let (each, remainder) = (contract.amount / count, contract.amount % count);
        for m in start.max(first)..=end.min(last) {
            let share = each + i64::from(i64::from(m - start) < remainder);
            let Some(month) = months.get_mut((m - first) as usize) else {
                continue;
            };
            month.total += share;
            if contract.hardware {
                month.hardware += share;
            }
            if contract.licences {
                month.licences += share;
            }
        }
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> jiff::civil::Date {
        text.parse().expect("date")
    }

    #[test]
    fn amounts_spread_over_the_period_and_stop_at_its_end() {
        let lease = Costed {
            amount: 1_000,
            starts_on: d("2026-11-15"),
            ends_on: d("2027-01-31"),
            hardware: true,
            licences: false,
        };
        let months = monthly(&[lease], d("2026-10-01"), d("2027-02-01"));
        let totals: Vec<i64> = months.iter().map(|m| m.total).collect();
        assert_eq!(totals, vec![0, 334, 333, 333, 0]);
        assert_eq!(months[1].month, "2026-11");
        assert_eq!(months[1].hardware, 334);
        assert_eq!(months[1].licences, 0);
    }
}
