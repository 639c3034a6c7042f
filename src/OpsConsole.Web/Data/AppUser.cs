using Microsoft.AspNetCore.Identity;

namespace OpsConsole.Web.Data;

public sealed class AppUser : IdentityUser
{
    public string DisplayName { get; set; } = "";
    public DateTime CreatedAt { get; set; }

    /// <summary>The account used by scheduled jobs; it cannot sign in.</summary>
    public bool IsSystem { get; set; }
}
