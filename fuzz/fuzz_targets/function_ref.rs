//! Every form Lambda accepts for a function name (name, name:qualifier, partial and full
//! ARNs) and layer version ARNs: parsing never panics, and what parses survives a round
//! trip through the ARN Lamina would print for it.

#![no_main]

use lamina_model::Account;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let account = Account::default();
    if let Ok(parsed) = account.parse_function_ref(input) {
        assert!(!parsed.name.is_empty(), "{input:?} parsed to an empty name");
        let arn = match &parsed.qualifier {
            Some(q) => account.qualified_function_arn(&parsed.name, q),
            None => account.function_arn(&parsed.name),
        };
        let again = account.parse_function_ref(&arn);
        assert_eq!(
            again.as_ref().ok(),
            Some(&parsed),
            "{input:?} printed as {arn}"
        );
    }
    if let Some((name, version)) = account.parse_layer_version_arn(input) {
        let arn = account.layer_version_arn(&name, version);
        assert_eq!(
            account.parse_layer_version_arn(&arn),
            Some((name, version)),
            "{input:?} printed as {arn}"
        );
    }
});
