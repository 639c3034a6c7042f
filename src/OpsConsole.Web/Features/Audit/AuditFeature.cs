using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Audit;

public static class AuditFeature
{
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<AuditLog>();
        builder.Services.AddSingleton<AuditService>();
        return builder;
    }

    public static void MapAuditApi(this WebApplication app)
    {
        app.MapGet("/api/v1/audit/verify", async (AuditService audit, CancellationToken ct) => Results.Ok(await audit.VerifyAsync(ct)))
            .RequireAuthorization(Policies.Admin)
            .WithName("VerifyAuditChain")
            .WithSummary("Walks the audit hash chain and reports ok or the first broken entry.");
    }
}
