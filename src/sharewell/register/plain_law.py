"""The laws in the catalogue as a resident reads them: what each allows in plain words, and a
short name for the law (the catalogue's own titles and citations are written for lawyers and
data protection officers, with terms like "data subject" and "gateway").

Every gateway in the catalogue has an entry; a test holds the two in step and checks the words.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PlainLaw:
    says: str  # what the law allows or requires, as a resident reads it
    law: str  # the law's short name, the link's text


PLAIN_LAW: dict[str, PlainLaw] = {
    "ssaa1992-s7b": PlainLaw(
        "Councils and the Department for Work and Pensions may use the benefit information "
        "they hold to help people claim what they are entitled to",
        "Social Security Administration Act 1992, section 7B",
    ),
    "ssaa1992-s122c": PlainLaw(
        "Benefit information may be passed on to the organisations that run benefits",
        "Social Security Administration Act 1992, section 122C",
    ),
    "ssaa1992-s122e": PlainLaw(
        "Organisations that run benefits may give each other the information they need to run them",
        "Social Security Administration Act 1992, section 122E",
    ),
    "ssaa1992-s123": PlainLaw(
        "People who work on benefits commit a crime if they give out benefit information "
        "without a lawful reason",
        "Social Security Administration Act 1992, section 123",
    ),
    "wra2012-s130": PlainLaw(
        "Benefit information may be shared to arrange overnight care and similar help",
        "Welfare Reform Act 2012, section 130",
    ),
    "wra2012-s131": PlainLaw(
        "Benefit, council tax and Housing Benefit information may be shared to provide "
        "welfare services",
        "Welfare Reform Act 2012, section 131",
    ),
    "wra2012-s132": PlainLaw(
        "It is a crime to pass on information shared for welfare services without a lawful reason",
        "Welfare Reform Act 2012, section 132",
    ),
    "wra2012-s127": PlainLaw(
        "The Department for Work and Pensions and HM Revenue and Customs may share information",
        "Welfare Reform Act 2012, section 127",
    ),
    "tca2002-sch5-para7": PlainLaw(
        "HM Revenue and Customs and the organisations that run some benefits may share information",
        "Tax Credits Act 2002, Schedule 5, paragraph 7",
    ),
    "dea2017-s35-public-service-delivery": PlainLaw(
        "Public bodies may share information to improve the help they give people, for aims "
        "set by Parliament",
        "Digital Economy Act 2017, section 35",
    ),
    "dea2017-s36-s37-fuel-poverty": PlainLaw(
        "Information may be shared with energy suppliers to help people who struggle to heat "
        "their homes",
        "Digital Economy Act 2017, sections 36 and 37",
    ),
    "dea2017-s48-debt": PlainLaw(
        "Public bodies may share information to manage money owed to them",
        "Digital Economy Act 2017, section 48",
    ),
    "dea2017-s56-fraud": PlainLaw(
        "Public bodies may share information to find and stop fraud against them",
        "Digital Economy Act 2017, section 56",
    ),
    "dea2017-passported-education-benefits-proposal": PlainLaw(
        "A proposed change to the law, not yet in force, to let schools get information for "
        "free school meals and similar help",
        "Cabinet Office consultation, July 2025",
    ),
    "education-act-2005-s110": PlainLaw(
        "Information may be supplied to check who can have free school lunches and milk",
        "Education Act 2005, section 110",
    ),
    "cwsa2026-s33-fsm-information-sharing": PlainLaw(
        "Information may be shared so that children can get free school meals",
        "Children's Wellbeing and Schools Act 2026, section 33",
    ),
    "children-act-2004-s10": PlainLaw(
        "Councils and their partners must work together to improve children's wellbeing",
        "Children Act 2004, section 10",
    ),
    "children-act-2004-s11": PlainLaw(
        "Public bodies must make arrangements to keep children safe",
        "Children Act 2004, section 11",
    ),
    "lgfa1992-sch2-information": PlainLaw(
        "Information may be supplied and used to run council tax",
        "Local Government Finance Act 1992, Schedule 2",
    ),
    "ctr-fraud-regs-england-2013": PlainLaw(
        "Councils may use information to find and stop fraud in Council Tax Reduction",
        "Council Tax Reduction Schemes (Detection of Fraud and Enforcement) (England) "
        "Regulations 2013",
    ),
    "housing-act-1996-s213b": PlainLaw(
        "Public bodies must, with your agreement, tell the council's housing team if you "
        "may become homeless",
        "Housing Act 1996, section 213B",
    ),
    "pensions-act-2008-s142": PlainLaw(
        "Pension Credit information may be shared so that people get help with energy bills",
        "Pensions Act 2008, section 142",
    ),
    "energy-act-2010-warm-home-discount": PlainLaw(
        "Information may be matched so that people get the Warm Home Discount without applying",
        "Energy Act 2010, sections 9, 10 and 14",
    ),
    "uk-gdpr-art6-lawful-bases": PlainLaw(
        "The rules on when an organisation may use personal information at all",
        "UK General Data Protection Regulation, Article 6",
    ),
    "uk-gdpr-art9-dpa2018-sch1": PlainLaw(
        "The extra rules for sensitive information, such as health",
        "UK General Data Protection Regulation, Article 9",
    ),
    "consent-route": PlainLaw(
        "Information may be shared if you agree to it, and only while you agree",
        "UK General Data Protection Regulation, Article 6(1)(a)",
    ),
    "duaa2025-overview": PlainLaw(
        "Recent changes to the rules on using personal information",
        "Data (Use and Access) Act 2025",
    ),
}


def plain_law(gateway_id: str, title: str, citation: str) -> PlainLaw:
    """The resident's words for a gateway; one added to the catalogue before its words are
    written is shown by its own title, rather than not at all."""
    return PLAIN_LAW.get(gateway_id, PlainLaw(title, citation))
