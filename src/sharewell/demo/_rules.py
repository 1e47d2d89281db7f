"""Benefit rules, simplified, for making synthetic awards and eligibility plausible.

Figures marked ``rule:`` come from ``reference/benefit-rules.yaml`` (compiled 2026-11-25; cite
the record id). Figures marked ``approx:`` are NOT in that file: they are rounded public rates
of an earlier year, used only so that synthetic awards look like real ones. Nothing here is fit
to tell a real person what they are entitled to.
"""

from __future__ import annotations

import math
from datetime import date

# The day the synthetic extracts are "taken". Fixed, so output does not change with the clock.
AS_OF = date(2026, 11, 25)

# rule: pension-credit/standard_minimum_guarantee_single and _couple (from 2026-04-06)
PC_MINIMUM_GUARANTEE_SINGLE = 238.00
PC_MINIMUM_GUARANTEE_COUPLE = 363.25
# rule: pension-credit/capital_disregard (£1 a week deemed income per £500 or part above it)
PC_CAPITAL_DISREGARD = 10_000.0
# approx: 2025/26 Savings Credit threshold and maximum (single, couple).
PC_SAVINGS_THRESHOLD = (198.27, 314.34)
PC_SAVINGS_MAXIMUM = (17.30, 19.36)
# rule: pension-credit eligibility: Savings Credit only if State Pension age was reached before
SAVINGS_CREDIT_SPA_BEFORE = date(2016, 4, 6)

# rule: free-school-meals-england/universal_credit_earned_income_limit_last_assessment_period
# (£7,400 a year = 12 x £616.67).
FSM_UC_MONTHLY_EARNINGS_LIMIT = 616.67

# rule: housing-benefit-pensioners/capital_upper_limit, capital_lower_limit
HB_CAPITAL_UPPER = 16_000.0
HB_CAPITAL_LOWER = 10_000.0
# approx: the Housing Benefit taper (65% of income above the applicable amount).
HB_TAPER = 0.65

# rule: council-tax-reduction-pensioners: taper_class_b (20%), capital_limit (£16,000) and the
# 2025/26 applicable amounts (the 2026/27 ones were not read), split by whether State Pension
# age was reached before 1 April 2021.
CTR_TAPER = 0.20
CTR_CAPITAL_LIMIT = 16_000.0
CTR_SPLIT_DATE = date(2021, 4, 1)
CTR_PENSIONER_APPLICABLE = {
    (False, True): 244.40,  # (couple, reached SPA before split)
    (False, False): 227.10,
    (True, True): 366.00,
    (True, False): 346.60,
}
# Northbridge's own working-age scheme (fictional, as every council sets its own): at most 80%
# of the liability, tapered at 20% of earnings above a small disregard.
CTR_WORKING_AGE_MAX_SHARE = 0.80

# approx: Band D council tax for the fictional borough, and the statutory band ratios A-H.
COUNCIL_TAX_BAND_D = 2_280.00
COUNCIL_TAX_RATIOS = {"A": 6, "B": 7, "C": 8, "D": 9, "E": 11, "F": 13, "G": 15, "H": 18}

# approx: 2025/26 Universal Credit monthly amounts.
UC_STANDARD_ALLOWANCE = {
    (False, False): 316.98,  # (couple, anyone 25 or over)
    (False, True): 400.14,
    (True, False): 497.55,
    (True, True): 628.10,
}
UC_CHILD_FIRST_BORN_BEFORE_2017 = 339.00
UC_CHILD = 292.81
UC_WORK_ALLOWANCE = (684.00, 411.00)  # (no housing element, with housing element)
UC_TAPER = 0.55
UC_CAPITAL_LOWER = 6_000.0
UC_CAPITAL_UPPER = 16_000.0

# approx: weekly Local Housing Allowance for the borough's broad rental market area, by bedrooms
# (0 = the shared accommodation rate for single people under 35).
LOCAL_HOUSING_ALLOWANCE = (110.00, 195.00, 240.00, 290.00, 370.00)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def state_pension_date(dob: date, *, female: bool) -> date:
    """When State Pension age is reached.

    rule: pension-credit eligibility: 66 for people born before 6 April 1960; 66 plus 1-11
    months for 6 April 1960 - 5 March 1961; 67 from 6 March 1961. Earlier cohorts (whose dates
    only matter here for Savings Credit and the 2021 CTR split) are approximated: women 60
    rising to 65 for births from 6 April 1950, everyone 65 rising to 66 from 6 December 1953.
    """
    if dob >= date(1961, 3, 6):
        return add_years(dob, 67)
    if dob >= date(1960, 4, 6):
        extra = (dob.year - 1960) * 12 + dob.month - 4 + (1 if dob.day >= 6 else 0)
        return add_months(add_years(dob, 66), extra)
    if dob >= date(1954, 10, 6):
        return add_years(dob, 66)
    if dob >= date(1953, 12, 6):
        months = 12 * (dob - date(1953, 12, 6)).days // (date(1954, 10, 6) - date(1953, 12, 6)).days
        return add_months(add_years(dob, 65), months)
    if not female:
        return add_years(dob, 65)
    if dob < date(1950, 4, 6):
        return add_years(dob, 60)
    months = 60 * (dob - date(1950, 4, 6)).days // (date(1953, 12, 6) - date(1950, 4, 6)).days
    return add_months(add_years(dob, 60), months)


def local_housing_allowance(bedrooms: int, *, shared: bool) -> float:
    return LOCAL_HOUSING_ALLOWANCE[0 if shared else min(max(bedrooms, 1), 4)]


def pension_tariff_income(capital: float) -> float:
    """rule: pension-credit/capital_disregard: £1 a week per £500 (or part) above £10,000."""
    if capital <= PC_CAPITAL_DISREGARD:
        return 0.0
    return float(math.ceil((capital - PC_CAPITAL_DISREGARD) / 500))


def pension_credit(
    weekly_income: float, capital: float, *, couple: bool, savings_credit_possible: bool
) -> tuple[float, float]:
    """(Guarantee Credit, Savings Credit) a week, before take-up."""
    guarantee_level = PC_MINIMUM_GUARANTEE_COUPLE if couple else PC_MINIMUM_GUARANTEE_SINGLE
    assessed = weekly_income + pension_tariff_income(capital)
    guarantee = max(0.0, guarantee_level - assessed)
    savings = 0.0
    if savings_credit_possible:
        threshold = PC_SAVINGS_THRESHOLD[couple]
        if assessed > threshold:
            savings = min(PC_SAVINGS_MAXIMUM[couple], 0.6 * (assessed - threshold))
            if assessed > guarantee_level:
                savings -= 0.4 * (assessed - guarantee_level)
            savings = max(0.0, savings)
            if savings < 0.10:  # awards under 10p a week are not paid
                savings = 0.0
    return round(guarantee, 2), round(savings, 2)


def council_tax_weekly(band: str) -> float:
    annual = COUNCIL_TAX_BAND_D * COUNCIL_TAX_RATIOS[band] / 9
    return annual * 7 / 365


def pensioner_housing_benefit(
    *,
    weekly_income: float,
    capital: float,
    weekly_rent: float,
    couple: bool,
    spa_before_split: bool,
    guarantee_credit: bool,
) -> float:
    if guarantee_credit:
        return weekly_rent
    if capital > HB_CAPITAL_UPPER:
        return 0.0
    applicable = CTR_PENSIONER_APPLICABLE[(couple, spa_before_split)]
    income = weekly_income + pension_tariff_income(capital)
    award = weekly_rent - HB_TAPER * max(0.0, income - applicable)
    return award if award >= 0.50 else 0.0


def pensioner_ctr(
    *,
    weekly_income: float,
    capital: float,
    liability: float,
    couple: bool,
    spa_before_split: bool,
    guarantee_credit: bool,
) -> float:
    if guarantee_credit:
        return liability
    if capital > CTR_CAPITAL_LIMIT:
        return 0.0
    applicable = CTR_PENSIONER_APPLICABLE[(couple, spa_before_split)]
    income = weekly_income + pension_tariff_income(capital)
    return max(0.0, liability - CTR_TAPER * max(0.0, income - applicable))


def working_age_ctr(
    *, weekly_earnings: float, capital: float, liability: float, disregard: float
) -> float:
    if capital > CTR_CAPITAL_LIMIT:
        return 0.0
    maximum = CTR_WORKING_AGE_MAX_SHARE * liability
    return max(0.0, maximum - CTR_TAPER * max(0.0, weekly_earnings - disregard))


def universal_credit(
    *,
    couple: bool,
    any_25_or_over: bool,
    children: int,
    first_child_before_2017: bool,
    monthly_housing: float,
    monthly_earnings: float,
    monthly_unearned: float,
    capital: float,
) -> float:
    """Monthly award before take-up (no two-child limit, no LCWRA, no benefit cap)."""
    if capital > UC_CAPITAL_UPPER:
        return 0.0
    maximum = UC_STANDARD_ALLOWANCE[(couple, any_25_or_over)] + monthly_housing
    if children:
        first = UC_CHILD_FIRST_BORN_BEFORE_2017 if first_child_before_2017 else UC_CHILD
        maximum += first + UC_CHILD * (children - 1)
    allowance = UC_WORK_ALLOWANCE[monthly_housing > 0] if children else 0.0
    deductions = UC_TAPER * max(0.0, monthly_earnings - allowance) + monthly_unearned
    if capital > UC_CAPITAL_LOWER:
        deductions += 4.35 * math.ceil((capital - UC_CAPITAL_LOWER) / 250)
    award = maximum - deductions
    return award if award >= 0.01 else 0.0


def net_monthly_pay(gross_annual: float) -> float:
    """approx: take-home pay after income tax and employee NI (2025/26 thresholds)."""
    allowance, higher = 12_570.0, 50_270.0
    tax = 0.20 * max(0.0, min(gross_annual, higher) - allowance) + 0.40 * max(
        0.0, gross_annual - higher
    )
    ni = 0.08 * max(0.0, min(gross_annual, higher) - allowance) + 0.02 * max(
        0.0, gross_annual - higher
    )
    return (gross_annual - tax - ni) / 12
