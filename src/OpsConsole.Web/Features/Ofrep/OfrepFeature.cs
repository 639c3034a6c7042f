namespace OpsConsole.Web.Features.Ofrep;

/// <summary>
/// The decision API in the OpenFeature Remote Evaluation Protocol, for services that use an
/// OpenFeature SDK with the generic OFREP provider instead of our client library. No services of
/// its own: it answers from the path snapshot and checks keys like the decision API.
/// </summary>
public static class OfrepFeature
{
    public static WebApplication MapOfrep(this WebApplication app)
    {
        app.MapOfrepApi();
        return app;
    }
}
