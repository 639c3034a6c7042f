using OpsConsole.Web.Components.Account;
using OpsConsole.Web.Data;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.Budgets;
using OpsConsole.Web.Features.Controls;
using OpsConsole.Web.Features.Dashboards;
using OpsConsole.Web.Features.Decisions;
using OpsConsole.Web.Features.Demo;
using OpsConsole.Web.Features.Drift;
using OpsConsole.Web.Features.Evaluation;
using OpsConsole.Web.Features.Otlp;
using OpsConsole.Web.Features.Traces;
using OpsConsole.Web.Features.Events;
using OpsConsole.Web.Features.Releases;
using OpsConsole.Web.Features.Explorer;
using OpsConsole.Web.Features.Incidents;
using OpsConsole.Web.Features.Ingestion;
using OpsConsole.Web.Features.Metrics;
using OpsConsole.Web.Features.Notifications;
using OpsConsole.Web.Features.Ofrep;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Quarantine;
using OpsConsole.Web.Features.Review;
using OpsConsole.Web.Features.Reviewers;
using OpsConsole.Web.Features.Search;
using OpsConsole.Web.Features.Sessions;
using OpsConsole.Web.Features.Sso;
using OpsConsole.Web.Features.Users;
using OpsConsole.Web.Features.Webhooks;
using OpsConsole.Web.Host;
using OpsConsole.Web.Infrastructure;
using OpsConsole.Web.Infrastructure.Jobs;
using OpsConsole.Web.Infrastructure.Security;
using OpsConsole.Web.Realtime;

if (args is [ContainerHealthCheck.Command, ..])
{
    return await ContainerHealthCheck.RunAsync(args);
}
var command = HostCommand.Parse(args);
var builder = WebApplication.CreateBuilder(command.HostArgs);

try
{
    // What each feature needs: its services, settings, hub, notifier and jobs (lowest layer first).
    builder.AddHostPlumbing()
        .AddDatabase()
        .AddSecurity()
        .AddHealth()
        .AddRealtime()
        .AddJobs()
        .AddAudit()
        .AddPaths()
        .AddSessions()
        .AddUsers()
        .AddSso()
        .AddApiKeys()
        .AddDecisions()
        .AddEvents()
        .AddIngestion()
        .AddExplorer()
        .AddQuarantine()
        .AddReview()
        .AddReviewers()
        .AddMetrics()
        .AddDashboards()
        .AddControls()
        .AddReleases()
        .AddEvaluation()
        .AddTraces()
        .AddTraceReads()
        .AddDrift()
        .AddIncidents()
        .AddBudgets()
        .AddWebhooks()
        .AddNotifications()
        .AddSearch()
        .AddDemoTraffic();
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
if (command.RunInsteadOfServing is { } run)
{
    return await run(app);
}

// What each feature serves: its endpoints, hubs and job schedule; then the pages.
app.UseHostPipeline()
    .MapHealth()
    .MapAccount()
    .MapSso()
    .MapAudit()
    .MapIngestion()
    .MapJobs()
    .MapReview()
    .MapDecisions()
    .MapOfrep()
    .MapReleases()
    .MapEvaluation()
    .MapTraces()
    .MapBudgets()
    .MapPages();

app.Lifetime.ApplicationStarted.Register(() => StartupBanner.Print(app));
await app.RunAsync();
return 0;

static int StartupRefused(StartupRefusedException ex)
{
    Console.Error.WriteLine("OpsConsole cannot start: " + ex.Message);
    return 2;
}

public partial class Program;
