//! Parse and render throughput of this engine against the `liquid` crate, in one run:
//! the seed's Create Lead body and header values, and a product-listing page.
//!
//! The `liquid` crate cannot parse Braze tags, so it gets equivalent standard-Liquid
//! templates (`{{ user.first_name }}` for `{{${first_name}}}`, and the Authorization header
//! without its `connected_content` tag, whose response it receives as data). Our engine
//! renders the header with the tag and a recorded token response.

use criterion::{BenchmarkId, Criterion, black_box, criterion_group, criterion_main};
use leadwire_liquid::{ConnectedResponses, Engine, FetchedResponse, Globals, Recorded, Step};
use serde_json::{Value, json};

const OURS_LEAD: &[&str] = &[
    "{{${first_name}}}",
    "{{${last_name}}}",
    "{{${email_address}}}",
    "{{custom_attribute.${company}}}",
    "{% connected_content https://acme.my.salesforce.com/services/oauth2/token :method post :body client_id=abc&client_secret=def&grant_type=client_credentials :save result %}Bearer {{result.access_token}}",
    "application/json",
];

const THEIRS_LEAD: &[&str] = &[
    "{{ user.first_name }}",
    "{{ user.last_name }}",
    "{{ user.email }}",
    "{{ custom_attribute.company }}",
    "Bearer {{result.access_token}}",
    "application/json",
];

const PRODUCT_LISTING: &str = r#"<h1>{{ collection.title | upcase }}</h1>
<p>{{ collection.description | strip_html | truncate: 120 }}</p>
{% assign shown = 0 %}
<ul class="products">
{% for product in collection.products limit: 24 %}
  {% capture label %}{{ product.vendor | default: 'Unknown vendor' }} / {{ product.title }}{% endcapture %}
  <li class="{% cycle 'odd', 'even' %}{% if forloop.first %} first{% endif %}{% if forloop.last %} last{% endif %}">
    <a href="/products/{{ product.handle }}">{{ label | escape }}</a>
    {% if product.available %}
      {% if product.compare_at_price > product.price %}
        <span class="sale">Save {{ product.compare_at_price | minus: product.price | times: 100 | divided_by: product.compare_at_price }}%</span>
      {% endif %}
      <span class="price">{{ product.price | divided_by: 100.0 | round: 2 }}</span>
    {% else %}
      <span class="sold-out">Sold out</span>
    {% endif %}
    {% case product.type %}
      {% when 'shirt' %}<em>Apparel</em>
      {% when 'mug', 'poster' %}<em>Home</em>
      {% else %}<em>Other</em>
    {% endcase %}
    <ul class="tags">{% for tag in product.tags %}<li>{{ tag | downcase | replace: ' ', '-' }}</li>{% endfor %}</ul>
    {% assign shown = shown | plus: 1 %}
  </li>
{% endfor %}
</ul>
<p>{{ shown }} of {{ collection.products | size }} products; tags: {{ collection.all_tags | join: ', ' }}</p>
"#;

fn catalog() -> Value {
    let types = ["shirt", "mug", "poster", "sticker"];
    let products: Vec<Value> = (0..24)
        .map(|i| {
            json!({
                "title": format!("Product number {i}"),
                "handle": format!("product-{i}"),
                "vendor": if i % 5 == 0 { Value::Null } else { json!(format!("Vendor {}", i % 3)) },
                "available": i % 7 != 0,
                "price": 1005 + i * 150,
                "compare_at_price": if i % 2 == 0 { 2500 + i * 150 } else { 0 },
                "type": types[i % 4],
                "tags": ["New Arrival", "Summer Sale", format!("Size {}", i % 4)],
            })
        })
        .collect();
    json!({"collection": {
        "title": "Summer collection",
        "description": "<p>Everything you need for <b>summer</b>: shirts, mugs, posters and stickers, all in one place, shipped fast.</p>",
        "products": products,
        "all_tags": ["New Arrival", "Summer Sale", "Size 0", "Size 1", "Size 2", "Size 3"],
    }})
}

fn lead_user() -> Value {
    json!({"external_id": "00Q5g00000ABCDEFGH", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "company": "Analytical Engines Ltd"})
}

fn bench(c: &mut Criterion) {
    let engine = Engine::default();
    let parser = liquid::ParserBuilder::with_stdlib()
        .build()
        .expect("the liquid crate's parser builds");

    let mut group = c.benchmark_group("parse");
    group.bench_function(BenchmarkId::new("leadwire", "create_lead"), |b| {
        b.iter(|| {
            OURS_LEAD
                .iter()
                .map(|t| engine.parse(black_box(t)).expect("parses"))
                .collect::<Vec<_>>()
        })
    });
    group.bench_function(BenchmarkId::new("liquid_crate", "create_lead"), |b| {
        b.iter(|| {
            THEIRS_LEAD
                .iter()
                .map(|t| parser.parse(black_box(t)).expect("parses"))
                .collect::<Vec<_>>()
        })
    });
    group.bench_function(BenchmarkId::new("leadwire", "product_listing"), |b| {
        b.iter(|| engine.parse(black_box(PRODUCT_LISTING)).expect("parses"))
    });
    group.bench_function(BenchmarkId::new("liquid_crate", "product_listing"), |b| {
        b.iter(|| parser.parse(black_box(PRODUCT_LISTING)).expect("parses"))
    });
    group.finish();

    let user = lead_user();
    let user = user.as_object().expect("an object");
    let ours_lead: Vec<_> = OURS_LEAD
        .iter()
        .map(|t| engine.parse(t).expect("parses"))
        .collect();
    let globals = Globals::new().with_user(user);
    let mut responses = ConnectedResponses::default();
    if let Ok(Step::Fetch(request)) = engine.render_step(&ours_lead[4], &globals, &responses) {
        let body = r#"{"access_token":"00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog","instance_url":"https://acme.my.salesforce.com","token_type":"Bearer"}"#;
        let response = FetchedResponse {
            status: 200,
            headers: vec![],
            body: body.into(),
        };
        responses.record(&request, Recorded::Response(response));
    }
    let theirs_lead: Vec<_> = THEIRS_LEAD
        .iter()
        .map(|t| parser.parse(t).expect("parses"))
        .collect();
    let token = json!({"access_token": "00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog", "instance_url": "https://acme.my.salesforce.com", "token_type": "Bearer", "__http_status_code__": 200});
    let lead_data = json!({"user": user, "custom_attribute": user, "result": token});
    let lead_globals = liquid::to_object(&lead_data).expect("an object");

    let catalog = catalog();
    let ours_listing = engine.parse(PRODUCT_LISTING).expect("parses");
    let listing_globals = Globals::new().with_variables(catalog.as_object().expect("an object"));
    let theirs_listing = parser.parse(PRODUCT_LISTING).expect("parses");
    let listing_data = liquid::to_object(&catalog).expect("an object");

    let ours_out = match engine.render_step(&ours_listing, &listing_globals, &responses) {
        Ok(Step::Done(leadwire_liquid::Outcome::Rendered(out))) => out,
        other => panic!("the listing renders: {other:?}"),
    };
    let theirs_out = theirs_listing.render(&listing_data).expect("renders");
    assert_eq!(
        ours_out, theirs_out,
        "both engines render the listing identically"
    );

    let mut group = c.benchmark_group("render");
    group.bench_function(BenchmarkId::new("leadwire", "create_lead"), |b| {
        b.iter(|| {
            ours_lead
                .iter()
                .map(|t| {
                    engine
                        .render_step(t, black_box(&globals), &responses)
                        .expect("renders")
                })
                .collect::<Vec<_>>()
        })
    });
    group.bench_function(BenchmarkId::new("liquid_crate", "create_lead"), |b| {
        b.iter(|| {
            theirs_lead
                .iter()
                .map(|t| t.render(black_box(&lead_globals)).expect("renders"))
                .collect::<Vec<_>>()
        })
    });
    group.bench_function(BenchmarkId::new("leadwire", "product_listing"), |b| {
        b.iter(|| {
            engine
                .render_step(&ours_listing, black_box(&listing_globals), &responses)
                .expect("renders")
        })
    });
    group.bench_function(BenchmarkId::new("liquid_crate", "product_listing"), |b| {
        b.iter(|| {
            theirs_listing
                .render(black_box(&listing_data))
                .expect("renders")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
