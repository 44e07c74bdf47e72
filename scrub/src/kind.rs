//! The families of personal data the scrubber knows: each a stable name (for policies, traces
//! and reports) and the tag that replaces what it finds.

use std::fmt;
use std::str::FromStr;

/// A family of personal data the scrubber finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PiiKind {
    Jwt,
    Token,
    Secret,
    Credentials,
    Query,
    Email,
    UserPath,
    Id,
    Mac,
    Ip,
    Iban,
    HkId,
    TwId,
    CnResidentId,
    Card,
    Imei,
    CnMobile,
    UsSsn,
    InAadhaar,
    JpMyNumber,
    BrCpf,
    Phone,
}

impl PiiKind {
    pub const ALL: [PiiKind; 22] = [
        PiiKind::Jwt,
        PiiKind::Token,
        PiiKind::Secret,
        PiiKind::Credentials,
        PiiKind::Query,
        PiiKind::Email,
        PiiKind::UserPath,
        PiiKind::Id,
        PiiKind::Mac,
        PiiKind::Ip,
        PiiKind::Iban,
        PiiKind::HkId,
        PiiKind::TwId,
        PiiKind::CnResidentId,
        PiiKind::Card,
        PiiKind::Imei,
        PiiKind::CnMobile,
        PiiKind::UsSsn,
        PiiKind::InAadhaar,
        PiiKind::JpMyNumber,
        PiiKind::BrCpf,
        PiiKind::Phone,
    ];

    /// The tag that replaces it: the kind of data, not the family (a national identity number
    /// is `[national_id]` whichever country issued it).
    pub fn tag(self) -> &'static str {
        match self {
            PiiKind::Jwt => "[jwt]",
            PiiKind::Token => "[token]",
            PiiKind::Secret => "[secret]",
            PiiKind::Credentials => "[credentials]",
            PiiKind::Query => "[query]",
            PiiKind::Email => "[email]",
            PiiKind::UserPath => "[user]",
            PiiKind::Id => "[id]",
            PiiKind::Mac => "[mac]",
            PiiKind::Ip => "[ip]",
            PiiKind::Iban => "[iban]",
            PiiKind::Card => "[card]",
            PiiKind::Imei => "[imei]",
            PiiKind::CnMobile | PiiKind::Phone => "[phone]",
            PiiKind::HkId
            | PiiKind::TwId
            | PiiKind::CnResidentId
            | PiiKind::UsSsn
            | PiiKind::InAadhaar
            | PiiKind::JpMyNumber
            | PiiKind::BrCpf => "[national_id]",
        }
    }

    /// A stable snake_case name, for policies, traces, counters and reports.
    pub fn name(self) -> &'static str {
        match self {
            PiiKind::Jwt => "jwt",
            PiiKind::Token => "token",
            PiiKind::Secret => "secret",
            PiiKind::Credentials => "credentials",
            PiiKind::Query => "query",
            PiiKind::Email => "email",
            PiiKind::UserPath => "user_path",
            PiiKind::Id => "id",
            PiiKind::Mac => "mac",
            PiiKind::Ip => "ip",
            PiiKind::Iban => "iban",
            PiiKind::HkId => "hk_id",
            PiiKind::TwId => "tw_id",
            PiiKind::CnResidentId => "cn_resident_id",
            PiiKind::Card => "card",
            PiiKind::Imei => "imei",
            PiiKind::CnMobile => "cn_mobile",
            PiiKind::UsSsn => "us_ssn",
            PiiKind::InAadhaar => "in_aadhaar",
            PiiKind::JpMyNumber => "jp_my_number",
            PiiKind::BrCpf => "br_cpf",
            PiiKind::Phone => "phone",
        }
    }

    /// Whether a check digit or a strict structure rule validates what the family finds (the
    /// families recall is held to 100% on).
    pub fn validated(self) -> bool {
        matches!(
            self,
            PiiKind::Iban
                | PiiKind::HkId
                | PiiKind::TwId
                | PiiKind::CnResidentId
                | PiiKind::Card
                | PiiKind::Imei
                | PiiKind::CnMobile
                | PiiKind::UsSsn
                | PiiKind::InAadhaar
                | PiiKind::JpMyNumber
                | PiiKind::BrCpf
        )
    }

    /// What it is, in a few words (for the privacy table and `modicum scrub --report`).
    pub fn describe(self) -> &'static str {
        match self {
            PiiKind::Jwt => "JSON Web Tokens",
            PiiKind::Token => "the token after `Bearer`",
            PiiKind::Secret => "the value of `password=`, `token=`, `api_key:` and the like",
            PiiKind::Credentials => "`user:password@` in URLs",
            PiiKind::Query => "a URL's query string (the path is kept)",
            PiiKind::Email => "email addresses, also `name at domain dot com`",
            PiiKind::UserPath => "the account name in home paths",
            PiiKind::Id => "UUID-shaped identifiers (IDFA, IDFV, GAID), with or without dashes",
            PiiKind::Mac => "MAC addresses, with or without separators",
            PiiKind::Ip => "IPv4 and IPv6 addresses (leading zeros too)",
            PiiKind::Iban => "IBANs (ISO 13616, mod-97, the country's length)",
            PiiKind::HkId => "Hong Kong identity card numbers (check character)",
            PiiKind::TwId => "Taiwan national identification numbers (check digit)",
            PiiKind::CnResidentId => {
                "mainland China resident identity numbers (ISO 7064 MOD 11-2, 15-digit form)"
            }
            PiiKind::Card => "payment cards, UnionPay included (Luhn, issuer prefix)",
            PiiKind::Imei => "IMEIs (Luhn)",
            PiiKind::CnMobile => "mainland China mobile numbers, with or without +86/0086",
            PiiKind::UsSsn => "US Social Security numbers (area and group rules)",
            PiiKind::InAadhaar => "India's Aadhaar numbers (Verhoeff)",
            PiiKind::JpMyNumber => "Japan's Individual Numbers (check digit)",
            PiiKind::BrCpf => "Brazil's CPF (two check digits)",
            PiiKind::Phone => "other phone numbers: international, national, North American",
        }
    }
}

impl fmt::Display for PiiKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a family's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scrubbing family `{0}`")]
pub struct UnknownFamily(pub String);

impl FromStr for PiiKind {
    type Err = UnknownFamily;

    fn from_str(name: &str) -> Result<PiiKind, UnknownFamily> {
        PiiKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| UnknownFamily(name.to_owned()))
    }
}

/// A set of families: which detectors run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Families(u32);

impl Families {
    /// Every family: the default.
    pub const ALL: Families = Families((1 << PiiKind::ALL.len()) - 1);
    pub const NONE: Families = Families(0);

    pub fn contains(self, kind: PiiKind) -> bool {
        self.0 & (1 << kind as u32) != 0
    }

    pub fn with(self, kind: PiiKind) -> Families {
        Families(self.0 | 1 << kind as u32)
    }

    pub fn without(self, kind: PiiKind) -> Families {
        Families(self.0 & !(1 << kind as u32))
    }

    pub fn iter(self) -> impl Iterator<Item = PiiKind> {
        PiiKind::ALL.into_iter().filter(move |&k| self.contains(k))
    }
}

impl Default for Families {
    fn default() -> Families {
        Families::ALL
    }
}

impl FromIterator<PiiKind> for Families {
    fn from_iter<I: IntoIterator<Item = PiiKind>>(kinds: I) -> Families {
        kinds.into_iter().fold(Families::NONE, Families::with)
    }
}
