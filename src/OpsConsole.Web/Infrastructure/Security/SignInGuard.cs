using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using OpsConsole.Web.Data;

namespace OpsConsole.Web.Infrastructure.Security;

/// <summary>Settings under <c>OpsConsole:SignIn</c>.</summary>
public sealed class SignInLimits
{
    public const string Section = "OpsConsole:SignIn";

    /// <summary>Sign-in form posts one network address may make per minute, whatever the account.</summary>
    public int AttemptsPerMinute { get; set; } = 10;
    /// <summary>Failed sign-ins after which one address may no longer try that account.</summary>
    public int FailuresPerSource { get; set; } = 5;
    public int SourceLockoutMinutes { get; set; } = 15;
    /// <summary>Consecutive failed sign-ins, from anywhere, after which the account is locked for everyone.</summary>
    public int AccountLockoutFailures { get; set; } = 50;
    public int AccountLockoutMinutes { get; set; } = 15;

    public static SignInLimits From(IConfiguration configuration)
    {
        var limits = configuration.GetSection(Section).Get<SignInLimits>() ?? new();
        string? problem = limits switch
        {
            { AttemptsPerMinute: < 1 or > 1000 } => "AttemptsPerMinute must be between 1 and 1000",
            { FailuresPerSource: < 1 or > 100 } => "FailuresPerSource must be between 1 and 100",
            { SourceLockoutMinutes: < 1 or > 1440 } => "SourceLockoutMinutes must be between 1 and 1440",
            { AccountLockoutMinutes: < 1 or > 1440 } => "AccountLockoutMinutes must be between 1 and 1440",
            // Below FailuresPerSource, one address could lock the account for everyone again.
            _ when limits.AccountLockoutFailures < limits.FailuresPerSource || limits.AccountLockoutFailures > 10_000
                => "AccountLockoutFailures must be between FailuresPerSource and 10000",
            _ => null,
        };
        return problem is null ? limits : throw new StartupRefusedException($"{Section}:{problem}.");
    }
}

/// <summary>
/// Password sign-in that no one can turn against someone else. Failures lock an account only for
/// the address they came from (<see cref="SignInLimits.FailuresPerSource"/> within
/// <see cref="SignInLimits.SourceLockoutMinutes"/>), so an attacker locks out only themselves;
/// Identity's account-wide lockout stays, at a threshold only guessing spread over many addresses
/// reaches. Every refusal (wrong password, unknown account, either lock) gives the caller the same
/// answer after the same work, so a refusal tells nothing about the account.
/// </summary>
public sealed class SignInGuard(SignInLimits limits, TimeProvider time, ILogger<SignInGuard> log)
{
    /// <summary>More pairs than a busy console sees in 15 minutes; past it new pairs go untracked (the account-wide lock still counts).</summary>
    private const int MaxTracked = 100_000;
    private const int MaxEmailLength = 320;
    private static readonly AppUser Nobody = new();

    private readonly ConcurrentDictionary<(string Account, string Source), Failures> _failures = new();
    private int _writes;
    private string? _dummyHash;

    private sealed record Failures(int Count, DateTimeOffset Until);

    /// <summary>The client's address after forwarded headers; an IPv6 client counts by its /64, which one host usually holds whole.</summary>
    public static string SourceOf(HttpContext http)
    {
        var ip = http.Connection.RemoteIpAddress;
        if (ip is null)
        {
            return "unknown";
        }
        if (ip.IsIPv4MappedToIPv6)
        {
            ip = ip.MapToIPv4();
        }
        if (ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return ip.ToString();
        }
        var bytes = ip.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }

    /// <summary>What a password sign-in came to; every refusal is the same <see cref="Refused"/>.</summary>
    public enum Outcome { Refused, SignedIn, SecondStepNeeded }

    /// <param name="mayUsePassword">Whether this address may sign in with a password at all (single sign-on can turn passwords off); refused like a wrong password.</param>
    /// <returns>Signed in; or the password was right and the authenticator step follows; or refused.</returns>
    public async Task<Outcome> PasswordSignInAsync(SignInManager<AppUser> signIn, string email, string password, bool rememberMe, string source, Func<string, bool>? mayUsePassword = null)
    {
        var users = signIn.UserManager;
        var key = Key(email, source);
        if (IsBlocked(key))
        {
            SpendHashTime(users.PasswordHasher, password);
            log.LogWarning("Sign-in for {Email} from {Source} refused: too many failures from that address", email, source);
            return Outcome.Refused;
        }
        if (mayUsePassword is not null && !mayUsePassword(email))
        {
            SpendHashTime(users.PasswordHasher, password);
            log.LogWarning("Password sign-in for {Email} refused: local passwords are turned off (single sign-on only)", email);
            RecordFailure(key);
            return Outcome.Refused;
        }
        var user = await users.FindByEmailAsync(email);
        if (user is null || user.IsSystem || await users.IsLockedOutAsync(user))
        {
            // Identity checks no password for these; hashing anyway keeps their answer as slow as a wrong password's.
            SpendHashTime(users.PasswordHasher, password);
            if (user is { IsSystem: false })
            {
                log.LogWarning("Sign-in refused for locked account {Email}", user.Email);
            }
            RecordFailure(key);
            return Outcome.Refused;
        }
        var result = await signIn.PasswordSignInAsync(user, password, rememberMe, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            _failures.TryRemove(key, out _);
            log.LogInformation("{Email} signed in", user.Email);
            return Outcome.SignedIn;
        }
        if (result.RequiresTwoFactor)
        {
            // The password was right: this address has not guessed it. Wrong codes count on their own (MfaSignIn).
            _failures.TryRemove(key, out _);
            log.LogInformation("{Email} gave the right password; second step next", user.Email);
            return Outcome.SecondStepNeeded;
        }
        if (result.IsLockedOut)
        {
            log.LogWarning("Account {Email} locked for everyone after {Failures} failed sign-ins", user.Email, limits.AccountLockoutFailures);
        }
        RecordFailure(key);
        return Outcome.Refused;
    }

    private (string, string) Key(string email, string source)
    {
        var account = email.Trim().ToUpperInvariant();
        return (account.Length > MaxEmailLength ? account[..MaxEmailLength] : account, source);
    }

    private bool IsBlocked((string, string) key) =>
        _failures.TryGetValue(key, out var f) && f.Count >= limits.FailuresPerSource && f.Until > time.GetUtcNow();

    private void RecordFailure((string, string) key)
    {
        var now = time.GetUtcNow();
        if (Interlocked.Increment(ref _writes) % 1024 == 0)
        {
            foreach (var (k, f) in _failures)
            {
                if (f.Until <= now)
                {
                    _failures.TryRemove(k, out _);
                }
            }
        }
        if (!_failures.ContainsKey(key) && _failures.Count >= MaxTracked)
        {
            return;
        }
        var until = now.AddMinutes(limits.SourceLockoutMinutes);
        _failures.AddOrUpdate(key, _ => new Failures(1, until), (_, f) => new Failures(f.Until > now ? f.Count + 1 : 1, until));
    }

    private void SpendHashTime(IPasswordHasher<AppUser> hasher, string password)
    {
        _dummyHash ??= hasher.HashPassword(Nobody, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
        hasher.VerifyHashedPassword(Nobody, _dummyHash, password);
    }
}

/// <summary>
/// At most <see cref="SignInLimits.AttemptsPerMinute"/> sign-in posts per client address. A refused
/// post gets 429 with Retry-After and the sign-in page saying why, not an empty answer.
/// </summary>
public sealed class SignInRateLimitPolicy(SignInLimits limits, ILogger<SignInRateLimitPolicy> log) : IRateLimiterPolicy<string>
{
    public const string Name = "sign-in";
    /// <summary>HttpContext item with the seconds to wait, for the page to show.</summary>
    public const string RetryAfterItem = "OpsConsole.SignIn.RetryAfterSeconds";

    public RateLimitPartition<string> GetPartition(HttpContext http) =>
        HttpMethods.IsPost(http.Request.Method)
            ? RateLimitPartition.GetFixedWindowLimiter(SignInGuard.SourceOf(http), _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limits.AttemptsPerMinute,
                Window = TimeSpan.FromMinutes(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            })
            // Showing the form costs nothing and guesses nothing.
            : RateLimitPartition.GetNoLimiter("");

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RejectAsync;

    private async ValueTask RejectAsync(OnRejectedContext ctx, CancellationToken ct)
    {
        var http = ctx.HttpContext;
        var seconds = ctx.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry) ? Math.Clamp((int)Math.Ceiling(retry.TotalSeconds), 1, 60) : 60;
        log.LogInformation("Sign-in posts from {Source} throttled for {Seconds} s", SignInGuard.SourceOf(http), seconds);
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        http.Items[RetryAfterItem] = seconds;
        // Render the page as for a GET: the refused form is shown again, never handled.
        http.Request.Method = HttpMethods.Get;
        if (http.GetEndpoint()?.RequestDelegate is { } page)
        {
            await page(http);
        }
    }
}
