using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using OpsConsole.Tests.Infrastructure;

namespace OpsConsole.Tests.Components;

/// <summary>
/// A bUnit test of a page on the real app services and a real database: the component renders in
/// an interactive renderer, signed in as one of the seeded test users.
/// </summary>
public abstract class FactoryComponentTest : ComponentTestBase, IAsyncLifetime
{
    protected OpsConsoleFactory Factory { get; } = new();

    public async ValueTask InitializeAsync()
    {
        await ArrangeAsync();
        // Last: the renderer resolves services, after which bUnit takes no more registrations.
        Renderer.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
    }

    /// <summary>Registers the services the component needs and signs it in.</summary>
    protected abstract Task ArrangeAsync();

    /// <summary>Signs the component in as a seeded user (by e-mail) with the given roles.</summary>
    protected async Task<string> SignInAsync(string email, params string[] roles)
    {
        var id = await Principals.IdOfAsync(Factory, email);
        SignedInAsUser(id, email, roles);
        return id;
    }

    /// <summary>Hands the component the app's own instance of a service.</summary>
    protected T Use<T>() where T : class
    {
        var service = Factory.Services.GetRequiredService<T>();
        Services.AddSingleton(service);
        return service;
    }

    async ValueTask IAsyncDisposable.DisposeAsync()
    {
        await base.DisposeAsync();
        await Factory.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
