using OpsConsole.Web.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OpsConsole.Web.Features.Audit;
using OpsConsole.Web.Features.ApiKeys;
using OpsConsole.Web.Features.Demo;
using OpsConsole.Web.Features.Paths;
using OpsConsole.Web.Features.Sso;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Host;

/// <summary>Runs once at start: migrations, roles, the system account, then the demo or the bootstrap admin, then an audit checkpoint.</summary>
public static class AppInitializer
{
    public const string SystemUserEmail = "system@opsconsole.local";

    public static async Task InitializeAsync(this WebApplication app, CancellationToken ct = default)
    {
        await DatabaseSetup.MigrateAsync(app.Services, ct);
        // Secrets written in plain text by older versions are encrypted before anything can read them.
        await app.Services.GetRequiredService<WebhookSecrets>().EncryptLegacyAsync(ct);
        // Anchored before anything is written (on an upgraded database this fixes where the unkeyed
        // entries end), and again once seeding is done, before anyone can act; the job keeps it current.
        var checkpoints = app.Services.GetRequiredService<AuditCheckpoints>();
        await checkpoints.CheckpointAsync(ct);
        // Opens the protected OIDC client secret now (the key ring exists once migrated), so a value
        // this console cannot open stops the start instead of the first sign-in.
        app.Services.GetRequiredService<SsoSettings>();
        await SeedAsync(app, ct);
        await checkpoints.CheckpointAsync(ct);
    }

    private static async Task SeedAsync(WebApplication app, CancellationToken ct)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var sp = scope.ServiceProvider;
        var roles = sp.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in AppRoles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }

        var users = sp.GetRequiredService<UserManager<AppUser>>();
        var time = sp.GetRequiredService<TimeProvider>();
        if (await users.FindByEmailAsync(SystemUserEmail) is null)
        {
            // Jobs act as this account; it has no password and is locked, so nobody can sign in as it.
            var system = new AppUser
            {
                UserName = SystemUserEmail,
                Email = SystemUserEmail,
                DisplayName = "OpsConsole system",
                IsSystem = true,
                LockoutEnabled = true,
                LockoutEnd = DateTimeOffset.MaxValue,
                CreatedAt = time.GetUtcNow().UtcDateTime,
            };
            await users.CreateAsync(system);
        }

        var config = app.Configuration;
        var log = sp.GetRequiredService<ILoggerFactory>().CreateLogger("OpsConsole.Startup");
        var demo = sp.GetRequiredService<IOptions<DemoOptions>>().Value;
        if (demo.IsEnabled(app.Environment))
        {
            await sp.GetRequiredService<DemoSeeder>().SeedAsync(demo.Password, ct);
            if (demo.Canary)
            {
                await sp.GetRequiredService<DemoSeeder>().SeedCanaryAsync(ct);
            }
            var apiKey = demo.ApiKey;
            if (!DemoOptions.IsValidApiKey(apiKey))
            {
                throw new StartupRefusedException("OpsConsole:Demo:ApiKey must be 20–200 URL-safe characters (letters, digits, '-', '_', '.', '~').");
            }
            await sp.GetRequiredService<ApiKeyService>().EnsureSystemKeyAsync(DemoOptions.ApiKeyName, apiKey, DemoSeeder.DemoPathSlugs, ct);
            return;
        }

        var db = sp.GetRequiredService<AppDbContext>();
        if (await db.Users.AnyAsync(u => !u.IsSystem, ct))
        {
            return;
        }
        var email = config["OpsConsole:Bootstrap:AdminEmail"];
        var adminPassword = config["OpsConsole:Bootstrap:AdminPassword"];
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(adminPassword))
        {
            throw new StartupRefusedException(
                "OpsConsole has no users yet and no first admin is configured. Set OpsConsole__Bootstrap__AdminEmail and " +
                "OpsConsole__Bootstrap__AdminPassword (at least 12 characters) in the environment, or set " +
                "OpsConsole__Demo__Enabled=true to start with the demo users.");
        }

        var admin = new AppUser { UserName = email, Email = email, EmailConfirmed = true, DisplayName = "Administrator", CreatedAt = time.GetUtcNow().UtcDateTime };
        var created = await users.CreateAsync(admin, adminPassword);
        if (!created.Succeeded)
        {
            throw new StartupRefusedException("The bootstrap admin could not be created: " + string.Join(" ", created.Errors.Select(e => e.Description)));
        }
        await users.AddToRoleAsync(admin, AppRoles.Admin);
        var audit = sp.GetRequiredService<AuditLog>();
        await using var write = await audit.BeginAsync(db, ct);
        write.Record(AuditActor.System, "user.create", "user", admin.Id, null, null, new { email, roles = new[] { AppRoles.Admin }, source = "bootstrap" });
        await write.CommitAsync(ct);
        log.LogInformation("Created the bootstrap admin {Email}", email);
    }
}
