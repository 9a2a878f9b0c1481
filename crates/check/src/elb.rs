//! Application load balancers: drop invalid headers, access logs, HTTP redirected
//! to HTTPS when a certificate is configured.

use serde_json::Value as Json;

use crate::model::{attribute, is_true, items, Cx};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const DROP_INVALID_HEADERS: Rule = Rule {
    id: "ELB-DROP-INVALID-HEADERS",
    title: "Application load balancers drop invalid HTTP header fields",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set the attribute routing.http.drop_invalid_header_fields.enabled to true (guards against request smuggling)",
};
pub(crate) const ACCESS_LOGS: Rule = Rule {
    id: "ELB-ACCESS-LOGS",
    title: "Load balancers write access logs",
    severity: Severity::Warning,
    applies_to: AppliesTo::Always,
    fix: "set access_logs.s3.enabled to true and access_logs.s3.bucket to a log bucket",
};
pub(crate) const HTTPS_REDIRECT: Rule = Rule {
    id: "ELB-HTTPS-REDIRECT",
    title: "HTTP listeners redirect to HTTPS when a certificate is configured",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "make the HTTP listener's default action a redirect with Protocol HTTPS (StatusCode HTTP_301)",
};

pub(crate) const TLS_POLICY: Rule = Rule {
    id: "ELB-TLS-POLICY",
    title: "HTTPS and TLS listeners accept TLS 1.2 or newer only",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set SslPolicy to a TLS 1.2+ policy, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06 (cairn's load-balanced service does); without one the listener gets ELBSecurityPolicy-2016-08, which accepts TLS 1.0",
};

pub(crate) const RULES: &[Rule] = &[DROP_INVALID_HEADERS, ACCESS_LOGS, HTTPS_REDIRECT, TLS_POLICY];

/// Elastic Load Balancing security policies that accept no protocol older than TLS 1.2
/// (the TLS13 ones and the TLS-1-2 / FS-1-2 families).
pub(crate) const TLS12_POLICIES: &[&str] = &[
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS-1-2-2017-01",
    "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2019-08",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for lb in cx.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer") {
        let application = lb.prop("Type").and_then(Json::as_str).unwrap_or("application") == "application";
        let attrs = lb.prop("LoadBalancerAttributes");
        if application && !is_true(attribute(attrs, "routing.http.drop_invalid_header_fields.enabled")) {
            out.add(
                &DROP_INVALID_HEADERS,
                lb,
                "routing.http.drop_invalid_header_fields.enabled is not true",
            );
        }
        if !is_true(attribute(attrs, "access_logs.s3.enabled")) {
            out.add(&ACCESS_LOGS, lb, "access logs are off (access_logs.s3.enabled)");
        }

        let listeners: Vec<_> = cx
            .of_type("AWS::ElasticLoadBalancingV2::Listener")
            .filter(|l| l.prop("LoadBalancerArn").is_some_and(|v| cx.points_to(l.stack, v, lb)))
            .collect();
        for l in listeners.iter().filter(|l| matches!(protocol(l.props), "HTTPS" | "TLS")) {
            match l.prop("SslPolicy").and_then(Json::as_str) {
                Some(p) if TLS12_POLICIES.contains(&p) => {}
                Some(p) => out.add(&TLS_POLICY, l, format!("SslPolicy {p} is not a TLS 1.2+ policy cairn knows")),
                None => out.add(
                    &TLS_POLICY,
                    l,
                    "no SslPolicy: the default ELBSecurityPolicy-2016-08 accepts TLS 1.0 and 1.1",
                ),
            }
        }
        let has_certificate = listeners
            .iter()
            .any(|l| protocol(l.props) == "HTTPS" || !items(l.prop("Certificates")).is_empty());
        if !has_certificate {
            continue;
        }
        for l in listeners.iter().filter(|l| protocol(l.props) == "HTTP") {
            let actions = items(l.prop("DefaultActions"));
            let redirects = !actions.is_empty()
                && actions.iter().all(|a| {
                    a.get("Type").and_then(Json::as_str) == Some("redirect")
                        && a.pointer("/RedirectConfig/Protocol").and_then(Json::as_str) == Some("HTTPS")
                });
            if !redirects {
                out.add(
                    &HTTPS_REDIRECT,
                    l,
                    "the load balancer has a certificate but this HTTP listener does not redirect to HTTPS",
                );
            }
        }
    }
}

fn protocol(listener: &Json) -> &str {
    listener.get("Protocol").and_then(Json::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, hits, r};

    fn alb(change: impl FnOnce(&mut Json, &mut Vec<(&'static str, Json)>)) -> Vec<(&'static str, Json)> {
        let mut lb = r(
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "service/Lb/Resource",
            json!({"Type": "application", "Scheme": "internet-facing", "LoadBalancerAttributes": [
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                {"Key": "access_logs.s3.enabled", "Value": "true"},
                {"Key": "access_logs.s3.bucket", "Value": "logs-bucket"}
            ]}),
        );
        let mut listeners = vec![
            (
                "Https",
                r(
                    "AWS::ElasticLoadBalancingV2::Listener",
                    "service/Lb/Https",
                    json!({"LoadBalancerArn": {"Ref": "Lb"}, "Protocol": "HTTPS", "Port": 443, "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "Certificates": [{"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x"}], "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}]}),
                ),
            ),
            (
                "Http",
                r(
                    "AWS::ElasticLoadBalancingV2::Listener",
                    "service/Lb/Http",
                    json!({"LoadBalancerArn": {"Ref": "Lb"}, "Protocol": "HTTP", "Port": 80, "DefaultActions": [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}]}),
                ),
            ),
        ];
        change(&mut lb, &mut listeners);
        let mut v = vec![("Lb", lb)];
        v.extend(listeners);
        v
    }

    #[test]
    fn compliant_load_balancer_passes_every_rule() {
        assert_eq!(all(&check(true, alb(|_, _| {}))), Vec::<String>::new());
    }

    #[test]
    fn invalid_headers_kept() {
        let report = check(
            false,
            alb(|lb, _| lb["Properties"]["LoadBalancerAttributes"][0]["Value"] = json!("false")),
        );
        assert_eq!(hits(&report, "ELB-DROP-INVALID-HEADERS"), ["service/Lb/Resource"]);
    }

    #[test]
    fn no_access_logs_is_a_warning() {
        let report = check(
            false,
            alb(|lb, _| lb["Properties"]["LoadBalancerAttributes"][1]["Value"] = json!(false)),
        );
        assert_eq!(hits(&report, "ELB-ACCESS-LOGS"), ["service/Lb/Resource"]);
        assert_eq!((report.errors(), report.warnings()), (0, 1));
    }

    #[test]
    fn http_forwarding_next_to_https() {
        let report = check(
            false,
            alb(|_, l| l[1].1["Properties"]["DefaultActions"] = json!([{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}])),
        );
        assert_eq!(hits(&report, "ELB-HTTPS-REDIRECT"), ["service/Lb/Http"]);
    }

    #[test]
    fn an_https_listener_without_a_tls12_policy_is_an_error() {
        let report = check(
            false,
            alb(|_, l| {
                l[0].1["Properties"].as_object_mut().unwrap().remove("SslPolicy");
            }),
        );
        assert_eq!(hits(&report, "ELB-TLS-POLICY"), ["service/Lb/Https"]);
        let report = check(
            false,
            alb(|_, l| l[0].1["Properties"]["SslPolicy"] = json!("ELBSecurityPolicy-2016-08")),
        );
        assert_eq!(hits(&report, "ELB-TLS-POLICY"), ["service/Lb/Https"]);
    }

    #[test]
    fn http_only_without_certificate_is_allowed() {
        let report = check(
            false,
            alb(|_, l| {
                l.remove(0);
                l[0].1["Properties"]["DefaultActions"] = json!([{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}]);
            }),
        );
        assert!(hits(&report, "ELB-HTTPS-REDIRECT").is_empty());
    }
}
