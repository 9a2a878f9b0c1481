//! `make bench`: synthesis speed of the example application (every environment), of
//! generated applications with 1, 10 and 100 copies of its data constructs, and with
//! 10 and 100 load-balanced Fargate services, reported as median time and time per
//! resource, so linear growth is visible at a glance.
//!
//! A plain harness (no extra crate): each case runs for a fixed number of iterations
//! after a warm-up, and the median is reported.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::{Duration, Instant};

use cairn_app::Shop;
use cairn_constructs::{
    Attribute, Bucket, BucketProps, Cluster, ClusterProps, ContainerProps, FargateServiceProps, LoadBalancedFargateService,
    LoadBalancedFargateServiceProps, LogGroup, LogGroupProps, Queue, QueueProps, Role, RoleProps, ServicePrincipal, Table, TableProps, Vpc,
    VpcProps,
};
use cairn_core::application::{load_all, synthesize};
use cairn_core::{App, Assembly, EnvSettings};

#[path = "support/build_label.rs"]
mod build_label;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn measure(iterations: usize, mut f: impl FnMut() -> Assembly) -> (Duration, usize) {
    let resources = count(&f());
    for _ in 0..3 {
        black_box(f());
    }
    let samples = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed()
        })
        .collect();
    (median(samples), resources)
}

fn count(a: &Assembly) -> usize {
    a.environments.iter().flat_map(|e| &e.stacks).map(|s| s.resource_count()).sum()
}

fn report(name: &str, (time, resources): (Duration, usize)) {
    let per = time.as_secs_f64() * 1e6 / resources.max(1) as f64;
    println!(
        "{name:<44} {:>9.3} ms {resources:>6} resources {per:>8.2} µs/resource",
        time.as_secs_f64() * 1e3
    );
}

fn bench_env(app: &App) -> cairn_core::Environment {
    app.environment(EnvSettings {
        name: "bench".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        retain_data: true,
        require_approval: false,
        tags: Default::default(),
    })
    .expect("valid environment")
}

/// An application with `services` load-balanced Fargate services: one VPC in a network
/// stack, and a cluster with 15 services per service stack (the 500-resource limit).
fn generated_services(services: usize) -> Assembly {
    let app = App::new("gen").expect("valid name");
    let env = bench_env(&app);
    let vpc = Vpc::new(&env.stack("network").expect("stack"), "Vpc", VpcProps::default()).expect("vpc");
    let per_stack = 15;
    for chunk in 0..services.div_ceil(per_stack) {
        let stack = env.stack(&format!("service{chunk}")).expect("stack");
        let cluster = Cluster::new(&stack, "Cluster", &vpc, ClusterProps::default()).expect("cluster");
        for i in (chunk * per_stack)..services.min((chunk + 1) * per_stack) {
            LoadBalancedFargateService::new(
                &stack,
                &format!("Web{i}"),
                &cluster,
                LoadBalancedFargateServiceProps {
                    service: FargateServiceProps {
                        container: ContainerProps {
                            image: "public.ecr.aws/nginx/nginx:1.27".into(),
                            ..Default::default()
                        },
                        ..Default::default()
                    },
                    ..Default::default()
                },
            )
            .expect("service");
        }
    }
    let assembly = app.synth().expect("generated services synthesize");
    // Lazy values hold constructs, whose scopes hold the tree: emptied, it is freed.
    app.clear();
    assembly
}

/// A DynamoDB table keyed by `id`.
fn orders_table(stack: &cairn_core::Stack, id: &str) -> Table {
    Table::new(
        stack,
        id,
        TableProps {
            partition_key: Attribute::string("id"),
            ..Default::default()
        },
    )
    .expect("table")
}

/// A task role granted read/write on `table` and `bucket` and send/consume on `queue`.
fn task_role_using(stack: &cairn_core::Stack, id: &str, table: &Table, bucket: &Bucket, queue: &Queue) {
    let role = Role::new(
        stack,
        id,
        RoleProps {
            assumed_by: ServicePrincipal::EcsTasks,
            description: None,
        },
    )
    .expect("role");
    table.grant_read_write(&role).expect("grant");
    bucket.grant_read_write(&role).expect("grant");
    queue.grant_send_consume(&role).expect("grant");
}

/// An application with `copies` copies of the shop's data constructs and a role that
/// uses them, 20 copies per stack pair (CloudFormation's 500-resource limit).
fn generated(copies: usize) -> Assembly {
    let app = App::new("gen").expect("valid name");
    let env = bench_env(&app);
    let per_stack = 20;
    for chunk in 0..copies.div_ceil(per_stack) {
        let data = env.stack(&format!("data{chunk}")).expect("stack");
        let service = env.stack(&format!("service{chunk}")).expect("stack");
        for i in (chunk * per_stack)..copies.min((chunk + 1) * per_stack) {
            let bucket = Bucket::new(&data, &format!("Uploads{i}"), BucketProps::default()).expect("bucket");
            let queue = Queue::new(&data, &format!("Jobs{i}"), QueueProps::default()).expect("queue");
            let table = orders_table(&data, &format!("Orders{i}"));
            task_role_using(&service, &format!("TaskRole{i}"), &table, &bucket, &queue);
        }
    }
    let assembly = app.synth().expect("generated app synthesizes");
    // Lazy values hold constructs, whose scopes hold the tree: emptied, it is freed.
    app.clear();
    assembly
}

/// The growth case: `resources` resources in stacks of at most 500 (CloudFormation's limit),
/// 10,000 = 20 stacks x 500. Even stacks hold data (table, bucket, queue), odd stacks
/// hold roles granted access to the previous stack's data, so policies reach across
/// stacks (exports and imports) as in a real application. Each stack is topped up with
/// log groups (one resource each) to its exact size.
fn growth(resources: usize) -> Assembly {
    const PER_STACK: usize = 500;
    let app = App::new("gen").expect("valid name");
    let env = bench_env(&app);
    let stacks = resources.div_ceil(PER_STACK).max(1);
    let mut left = resources;
    let mut data: Vec<(Table, Bucket, Queue)> = Vec::new();
    for s in 0..stacks {
        let size = left.div_ceil(stacks - s);
        left -= size;
        let stack = env.stack(&format!("stack{s}")).expect("stack");
        let mut i = 0;
        if s % 2 == 0 {
            data.clear();
            // A group's size is learned from the first one (a guess until then).
            let mut group = 20;
            while stack.resource_count() + group <= size {
                let before = stack.resource_count();
                let table = orders_table(&stack, &format!("Orders{i}"));
                let bucket = Bucket::new(&stack, &format!("Uploads{i}"), BucketProps::default()).expect("bucket");
                let queue = Queue::new(&stack, &format!("Jobs{i}"), QueueProps::default()).expect("queue");
                data.push((table, bucket, queue));
                group = stack.resource_count() - before;
                i += 1;
            }
        } else {
            let mut role_size = 10;
            // Each role imports three of the previous stack's values: at most 60 roles
            // keep that stack within CloudFormation's 200 outputs.
            for (table, bucket, queue) in data.iter().take(60) {
                if stack.resource_count() + role_size > size {
                    break;
                }
                let before = stack.resource_count();
                task_role_using(&stack, &format!("TaskRole{i}"), table, bucket, queue);
                role_size = stack.resource_count() - before;
                i += 1;
            }
        }
        while stack.resource_count() < size {
            LogGroup::new(&stack, &format!("Fill{i}"), LogGroupProps::default()).expect("log group");
            i += 1;
        }
    }
    let assembly = app.synth().expect("growth app synthesizes");
    // Lazy values hold constructs, whose scopes hold the tree: emptied, it is freed.
    app.clear();
    assembly
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects cases by substring.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    // `cargo test --all-targets` runs benches without `--bench`: one pass as a smoke test.
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let runs = |n: usize| if bench_mode { n } else { 1 };

    println!(
        "synthesis benchmarks (median of runs, {})",
        build_label::build_label(cfg!(debug_assertions))
    );
    let shop = Shop::default();
    let envs = load_all(&shop).expect("shipped environment files load");
    if wanted("example app") {
        report(
            "example app, every environment",
            measure(runs(200), || {
                let pairs: Vec<(&str, &cairn_app::Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
                synthesize(&shop, &pairs).expect("example app synthesizes")
            }),
        );
    }
    if wanted("example app + checks") {
        // The built-in policy rules on every environment, after synthesis (issue: within 20 % of synthesis).
        report(
            "example app, every environment + checks",
            measure(runs(200), || {
                let pairs: Vec<(&str, &cairn_app::Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
                let assembly = synthesize(&shop, &pairs).expect("example app synthesizes");
                for env in &assembly.environments {
                    black_box(cairn_check::check_env(env).expect("checks run"));
                }
                assembly
            }),
        );
    }
    // Growth: µs per resource should stay flat from 100 to 10,000 resources.
    for resources in [100, 1_000, 10_000] {
        let name = format!("growth, {resources} resources");
        if wanted(&name) {
            let iterations = runs(match resources {
                10_000 => 10,
                1_000 => 50,
                _ => 200,
            });
            let (time, count) = measure(iterations, || growth(resources));
            assert_eq!(count, resources, "the growth app has exactly {resources} resources");
            report(&name, (time, count));
        }
    }
    for copies in [1, 10, 100] {
        let name = format!("generated app, {copies} copies");
        if wanted(&name) {
            let iterations = runs(if copies >= 100 { 30 } else { 100 });
            report(&name, measure(iterations, || generated(copies)));
        }
    }
    for services in [10, 100] {
        let name = format!("generated app, {services} Fargate services");
        if wanted(&name) {
            let iterations = runs(if services >= 100 { 20 } else { 100 });
            report(&name, measure(iterations, || generated_services(services)));
        }
    }
}
