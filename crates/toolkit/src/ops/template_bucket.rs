//! The S3 bucket for templates over 51,200 bytes, as `deploy` and `bootstrap` choose it.

use cairn_core::{Application, EnvSettings};

use crate::aws::templates::bootstrap_bucket_name;
use crate::error::{CliError, CliResult};
use crate::project::Project;

/// Key of the environment file naming the template bucket (when the application's
/// configuration has it): `--template-bucket` and CAIRN_TEMPLATE_BUCKET win over it,
/// and it wins over the bucket `cairn bootstrap` creates.
pub const TEMPLATE_BUCKET_KEY: &str = "template_bucket";

/// The bucket: `flag` (`--template-bucket`), else the environment file's, else the
/// one `cairn bootstrap` creates. A malformed environment-file value is an error even
/// when the flag wins.
pub fn choose<A: Application>(project: &Project<A>, env: &str, flag: Option<&String>, settings: &EnvSettings) -> CliResult<String> {
    Ok(match (flag, configured_bucket(project, env)?) {
        (Some(flag), _) => flag.clone(),
        (None, Some(configured)) => configured,
        (None, None) => bootstrap_bucket_name(&settings.account, &settings.region),
    })
}

/// The environment file's `template_bucket`, when it has one.
pub fn configured_bucket<A: Application>(project: &Project<A>, env: &str) -> CliResult<Option<String>> {
    let loaded = cairn_core::application::load_env(project, env)?;
    match cairn_core::config::get_value(&loaded.table, TEMPLATE_BUCKET_KEY) {
        None => Ok(None),
        Some(toml::Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(_) => Err(CliError::BadInput(format!(
            "{}: key `{TEMPLATE_BUCKET_KEY}`: expected the name of an S3 bucket (a non-empty string)",
            loaded.file.display()
        ))),
    }
}
