using Microsoft.AspNetCore.HttpOverrides;
using MudBlazor.Services;
using OpsConsole.Web.Components;
using OpsConsole.Web.Components.Account;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Search;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Drift;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Webhooks;
using OpsConsole.Web.Features.Demo;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Users;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Jobs;
using OpsConsole.Web.Realtime;
using OpsConsole.Web.Infrastructure.Security;

if (args is ["healthcheck", ..])
{
    return await ContainerHealthCheck.RunAsync(args);
}

// Configuration is read at start only: a reload watcher on the content root would also wake on
// every write of a SQLite file kept below it (dotnet run starts in the project folder).
// `rebuild-rollups [slug…]` recomputes dashboard rollups from raw events and exits.
var rebuild = args is [DashboardsFeature.RebuildCommand, ..] ? args[1..].Where(a => !a.StartsWith('-')).ToArray() : null;
var builder = WebApplication.CreateBuilder([.. rebuild is null ? args : args[1..].Where(a => a.StartsWith('-')), "--hostBuilder:reloadConfigOnChange=false"]);

// The console handles JSON batches of at most 4 MB; nothing it serves needs more.
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 5 * 1024 * 1024);
// One line per event for people at a terminal; JSON (with scopes) for log shippers elsewhere.
builder.Logging.ClearProviders();
if (builder.Environment.IsDevelopment())
{
    builder.Logging.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.TimestampFormat = "HH:mm:ss ";
    });
}
else
{
    builder.Logging.AddJsonConsole(o =>
    {
        o.IncludeScopes = true;
        o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        o.UseUtcTimestamp = true;
    });
}

builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.Services.AddOpenApi();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull);
builder.Services.Configure<ForwardedHeadersOptions>(o =>
{
    o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
    // Behind a reverse proxy on another host, list its address in OpsConsole:Https:KnownProxies.
    foreach (var proxy in builder.Configuration.GetSection("OpsConsole:Https:KnownProxies").Get<string[]>() ?? [])
    {
        o.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
    }
});
builder.Services.AddHsts(o => o.MaxAge = TimeSpan.FromDays(365));

try
{
    builder.AddDatabase()
        .AddSecurity()
        .AddHealth()
        .AddAudit()
        .AddPaths()
        .AddUsers()
        .AddApiKeys()
        .AddIngestion()
        .AddReview()
        .AddDashboards()
        .AddControls()
        .AddDrift()
        .AddIncidents()
        .AddWebhooks()
        .AddRealtime()
        .AddNotifications()
        .AddSearch()
        .AddDemoTraffic()
        .AddJobs();
}
catch (StartupRefusedException ex)
{
    return StartupRefused(ex);
}

var app = builder.Build();

try
{
    await app.InitializeAsync();
}
catch (StartupRefusedException ex)
{
    return StartupRefused(ex);
}

if (rebuild is not null)
{
    return await DashboardsFeature.RebuildAsync(app.Services, rebuild, Console.Out, CancellationToken.None);
}

var https = app.Configuration.GetSection("OpsConsole:Https");
app.UseForwardedHeaders();
if (!app.Environment.IsDevelopment())
{
    app.UseExceptionHandler("/error", createScopeForErrors: true);
}
if (https.GetValue<bool>("Hsts"))
{
    app.UseHsts();
}
if (https.GetValue<bool>("RedirectToHttps"))
{
    app.UseHttpsRedirection();
}
app.UseSecurityHeaders();
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseStatusCodePagesOnlyForPageRequests();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.UseAntiforgery();

app.MapStaticAssets().AllowAnonymous();
app.MapOpenApi().AllowAnonymous();
app.MapHealth();
app.MapAccountEndpoints();
app.MapAuditApi();
app.MapIngestion();
app.MapJobs();
app.MapRealtime();
app.MapReview();
app.MapControls();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
await app.RunAsync();
return 0;

static int StartupRefused(StartupRefusedException ex)
{
    Console.Error.WriteLine("OpsConsole cannot start: " + ex.Message);
    return 2;
}

public partial class Program;
