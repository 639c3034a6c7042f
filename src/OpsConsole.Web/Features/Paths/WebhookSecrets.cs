using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using OpsConsole.Web.Data;
using OpsConsole.Web.Infrastructure.Security;

namespace OpsConsole.Web.Features.Paths;

/// <summary>
/// A path's webhook secret at rest: stored only as <see cref="SecretProtector"/> output under the
/// webhook purpose, opened only to sign a delivery. Plain text left by older versions is encrypted at start.
/// </summary>
public sealed class WebhookSecrets(IDbContextFactory<AppDbContext> dbFactory, SecretProtector protector, ILogger<WebhookSecrets> log)
{
    public string Protect(string plain) => protector.Protect(SecretKind.WebhookSecret, plain);

    /// <summary>The plain secret to sign with; null when the stored value cannot be opened (another purpose, or a lost key ring).</summary>
    public string? Reveal(string stored)
    {
        try
        {
            return protector.Unprotect(SecretKind.WebhookSecret, stored);
        }
        catch (CryptographicException ex)
        {
            log.LogWarning(ex, "A stored webhook secret cannot be decrypted; set the path's webhook secret again");
            return null;
        }
    }

    /// <summary>
    /// Encrypts every plain-text secret in place; returns how many this instance changed. Each row is
    /// changed only if it still holds the plain value read, so instances starting together encrypt it
    /// once and a second run changes nothing.
    /// </summary>
    public async Task<int> EncryptLegacyAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var plain = await db.Paths.AsNoTracking()
            .Where(p => p.WebhookSecret != null && !p.WebhookSecret.StartsWith(SecretProtector.Prefix))
            .Select(p => new { p.Id, p.Slug, Secret = p.WebhookSecret! }).ToListAsync(ct);
        var changed = 0;
        foreach (var row in plain)
        {
            var encrypted = Protect(row.Secret);
            changed += await db.Paths.Where(p => p.Id == row.Id && p.WebhookSecret == row.Secret)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.WebhookSecret, encrypted), ct);
        }
        if (plain.Count > 0)
        {
            log.LogInformation("Encrypted {Count} plain-text webhook secret(s) at rest ({Found} found)", changed, plain.Count);
        }
        return changed;
    }
}
